/**
 * The part of johnny-five 2.1 that ftc uses (the package ships no types). Kept minimal on
 * purpose: adding a component here means reading its source in node_modules/johnny-five/lib.
 */
declare module 'johnny-five' {
  import type { EventEmitter } from 'node:events';

  interface BoardOptions {
    io: EventEmitter;
    repl?: boolean;
    debug?: boolean;
    sigint?: boolean;
    timeout?: number;
    id?: string;
  }
  class Board extends EventEmitter {
    constructor(options: BoardOptions);
    readonly isReady: boolean;
    readonly io: EventEmitter;
  }
  interface ComponentOptions {
    board: Board;
    pin: number;
    id?: string;
  }
  class Led {
    constructor(options: ComponentOptions & { isAnode?: boolean });
    on(): this;
    off(): this;
    blink(toggleMs: number): this;
    stop(): this;
    readonly isOn: boolean;
    readonly isRunning: boolean;
  }
  class Relay {
    constructor(options: ComponentOptions & { type?: 'NO' | 'NC' });
    close(): this;
    open(): this;
    readonly isClosed: boolean;
  }
  class Button extends EventEmitter {
    constructor(options: ComponentOptions & { holdtime?: number; invert?: boolean; pullup?: boolean });
    readonly isDown: boolean;
    holdtime: number;
  }
  const five: { Board: typeof Board; Led: typeof Led; Relay: typeof Relay; Button: typeof Button };
  export default five;
}
