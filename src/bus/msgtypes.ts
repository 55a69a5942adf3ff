/**
 * Frame message types. The number is on the wire: never renumber, only append.
 * A board that receives a type it does not know counts it (`unknownType`) and skips the frame,
 * so a newer board can add types without breaking older ones.
 */
export const MsgType = {
  /** Liveness, current epoch/cycle, health summary. */
  Heartbeat: 1,
  /** A board's own sensor sample for a cycle (input agreement round). */
  Input: 2,
  /** A board's digest of (agreed inputs, outputs, next state) for a cycle. */
  OutputVote: 3,
  /** Request to join the voting set after restart / unfence. */
  JoinRequest: 4,
  /** One chunk of a state snapshot for reintegration. */
  StateChunk: 5,
  /** A board's accusation / vote that a peer is faulty and should be fenced. */
  FenceVote: 6,
  /** Request to hand the active role to another board at a cycle boundary. */
  Handover: 7,
  /** Health summary exchange (supervision, PSU, NIC, link error rates). */
  Health: 8,
  /** Echo request/reply for link RTT measurement. */
  Ping: 9,
  Pong: 10,
  /** Membership / configuration change agreed by the majority. */
  Membership: 11,
  /** The checkpoint class: checkpoint chunks, acknowledgements, a new primary's query and pull (src/checkpoint/codec.ts). */
  Checkpoint: 12,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];
export const msgTypeNames: Record<number, string> = Object.fromEntries(
  Object.entries(MsgType).map(([k, v]) => [v, k]),
);
export function isKnownMsgType(t: number): t is MsgType {
  return t in msgTypeNames;
}
