/**
 * Entry point of a `ftc sim` child process: a board (FTC_CHILD=b1..b3) or the plant
 * (FTC_CHILD=plant). Its configuration comes as JSON in FTC_SIM from the supervisor.
 */
import { boardMain } from './board-main.ts';
import { plantMain } from './plant-main.ts';
import type { SimChildConfig } from './sim-protocol.ts';

const raw = process.env.FTC_SIM;
if (!raw) {
  process.stderr.write('sim-child: FTC_SIM is not set; this process is started by `ftc sim`, not by hand\n');
  process.exit(2);
}
const cfg = JSON.parse(raw) as SimChildConfig;
const main = process.env.FTC_CHILD === 'plant' ? plantMain : boardMain;
main(cfg).catch((e: unknown) => {
  process.stderr.write(`${process.env.FTC_CHILD ?? 'child'}: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
