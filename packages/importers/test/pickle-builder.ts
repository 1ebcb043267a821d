/** Hand-written pickles for the hostile tests: opcodes as bytes, so a test says exactly what the file holds. */
import { OP } from '../src/pickle/opcodes.js';

const enc = new TextEncoder();

export class PickleBuilder {
  private readonly parts: number[] = [];

  raw(...bytes: number[]): this {
    return this.rawArray(bytes);
  }

  rawArray(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
    return this;
  }

  op(code: number): this {
    return this.raw(code);
  }

  text(s: string): this {
    return this.rawArray(enc.encode(s));
  }

  u32(n: number): this {
    return this.raw(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }

  u64(n: bigint): this {
    for (let i = 0n; i < 8n; i++) this.raw(Number((n >> (8n * i)) & 0xffn));
    return this;
  }

  proto(n: number): this {
    return this.raw(OP.PROTO, n);
  }

  /** Protocol 0-3 GLOBAL: "c module\nname\n". */
  global(module: string, name: string): this {
    return this.op(OP.GLOBAL).text(`${module}\n${name}\n`);
  }

  str(s: string): this {
    const b = enc.encode(s);
    return b.length < 256 ? this.raw(OP.SHORT_BINUNICODE, b.length).rawArray(b) : this.op(OP.BINUNICODE).u32(b.length).rawArray(b);
  }

  /** Protocol 4 STACK_GLOBAL. */
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).op(OP.STACK_GLOBAL);
  }

  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(OP.BININT1, n);
    return this.op(OP.BININT).u32(n >>> 0);
  }

  bytes(b: Uint8Array): this {
    return this.op(OP.BINBYTES).u32(b.length).rawArray(b);
  }

  none(): this {
    return this.op(OP.NONE);
  }

  mark(): this {
    return this.op(OP.MARK);
  }

  tuple(): this {
    return this.op(OP.TUPLE);
  }

  reduce(): this {
    return this.op(OP.REDUCE);
  }

  build(): this {
    return this.op(OP.BUILD);
  }

  stop(): this {
    return this.op(OP.STOP);
  }

  /**
   * The state numpy pickles for a plain dtype, applied with BUILD: (3, byte order, None, None, None, -1, -1, 0).
   * `byteOrder` pushes the byte-order text, whose opcode depends on the protocol.
   */
  dtypeState(byteOrder: (b: this) => void): this {
    this.mark().int(3);
    byteOrder(this);
    return this.none().none().none().int(-1).int(-1).int(0).tuple().build();
  }

  repeat(n: number, f: (b: this) => void): this {
    for (let i = 0; i < n; i++) f(this);
    return this;
  }

  get length(): number {
    return this.parts.length;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export const pickle = () => new PickleBuilder();

/** A pickled FunctionTransformer whose func is the global module.name (as pickle writes np.log1p or a user's function). */
export function functionTransformerPickle(module: string, name: string): Uint8Array {
  return pickle()
    .proto(4)
    .stackGlobal('sklearn.preprocessing._function_transformer', 'FunctionTransformer')
    .op(OP.EMPTY_TUPLE)
    .op(OP.NEWOBJ)
    .op(OP.EMPTY_DICT)
    .str('func')
    .stackGlobal(module, name)
    .op(OP.SETITEM)
    .build()
    .stop()
    .toBytes();
}
