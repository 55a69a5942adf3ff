/**
 * The workload `ftc sim --process` gives the plant and the boards' lockstep core: none. The
 * program's work happens outside the cycle grid; the rig's cycles carry only its membership.
 */
export default {
  name: 'program',
  version: '1',
  inputs: [],
  outputs: [],
  safeOutputs: [],
  init: () => 0,
  step: (state: number) => ({ state, outputs: [] }),
};
