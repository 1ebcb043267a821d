/**
 * The pickle virtual machine (protocols 0 to 5), run as data. It follows Python's pickle._Unpickler opcode for
 * opcode, with three differences that make it safe: a global is looked up in the allow-list and refused unless
 * present (no import), a call (REDUCE, NEWOBJ, INST, OBJ) either records a PyObject or runs our own implementation
 * of an allow-listed function (no Python), and every size, count and depth is bounded (limits.ts).
 */
import { JOBLIB_ARRAY_WRAPPERS, JOBLIB_EXTERNAL_ARRAY_WRAPPERS, lookupGlobal, python3Name } from './allow-list.js';
import type { ByteReader } from './byte-reader.js';
import { callableFor } from './callables.js';
import { PICKLE_EXPORT_HINT, PickleError } from './errors.js';
import { readWrappedArray } from './joblib-arrays.js';
import { functionTransformerRefusal } from '../remedies.js';
import { unsupportedClassMessage } from '../supported.js';
import { type Budget, exceeded, type PickleLimits } from './limits.js';
import { applyArrayState, applyDTypeState, isPlaceholder, type NumpyContext, normalizeInt } from './numpy.js';
import { OP as OPCODES } from './opcodes.js';
import { keyOf } from './py-repr.js';
import { PyBytes, PyDict, PyDType, PyGlobal, PyObject, PySet, PyTuple, type PyValue } from './values.js';

export interface UnpicklerContext {
  budget: Budget;
  limits: Readonly<PickleLimits>;
  /** Out-of-band buffers of protocol 5 (NEXT_BUFFER), in order. */
  buffers: readonly Uint8Array[];
  /** Whether a NumpyArrayWrapper's BUILD reads the array bytes after it (joblib); not inside a nested array pickle. */
  joblibArrays: boolean;
}

/** A module-local binding: the opcode switch reads it for every opcode, and imported bindings may be getters. */
const OP = OPCODES;

/** Longest line of a protocol 0 name or number; data lines (STRING, UNICODE) are bounded by maxStringBytes. */
const MAX_NAME_LINE = 1000;
const MAX_NUMBER_LINE = 5000;
/** Python itself refuses to convert longer decimal strings to int (sys.int_info.default_max_str_digits). */
const MAX_INT_DIGITS = 4300;
/** Bytes of a binary LONG1/LONG4 integer: no model holds a 64 kB integer. */
const MAX_LONG_BYTES = 65536;

const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Python 2 str literal escapes (codecs.escape_decode); a backslash before a newline continues the line. */
const STRING_ESCAPES = new Map<number, string>([
  [0x6e, '\n'],
  [0x72, '\r'],
  [0x74, '\t'],
  [0x5c, '\\'],
  [0x27, "'"],
  [0x22, '"'],
  [0x61, '\x07'],
  [0x62, '\b'],
  [0x66, '\f'],
  [0x76, '\v'],
  [0x0a, ''],
]);

/** The refusal of a global outside the allow-list, worded for the person who uploaded the file. */
export function refusal(qualifiedName: string, offset: number, verb = 'names'): PickleError {
  if (JOBLIB_EXTERNAL_ARRAY_WRAPPERS.includes(qualifiedName)) {
    return new PickleError(
      'unsupported_format',
      `The file was written by joblib older than 0.10, which keeps every numpy array in a separate file next to the pickle ` +
        `("${qualifiedName}"); batchcast reads one file. Load it with joblib and save it again with joblib.dump(model, "model.joblib"), ` +
        `or ${PICKLE_EXPORT_HINT.charAt(0).toLowerCase()}${PICKLE_EXPORT_HINT.slice(1)}`,
      offset,
      qualifiedName,
    );
  }
  // A scikit-learn class: the same refusal as the converter's (supported.ts), whatever refused it.
  const message = qualifiedName.startsWith('sklearn.')
    ? unsupportedClassMessage(qualifiedName)
    : `The file ${verb} "${qualifiedName}", which batchcast never runs: only scikit-learn estimators and numpy arrays are read from pickles. ` +
      PICKLE_EXPORT_HINT;
  return new PickleError('unsupported_class', message, offset, qualifiedName);
}

export class Unpickler {
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  /** Items on the stacks saved by MARK, so the total on all stacks is bounded, not just the current one. */
  private saved = 0;
  /** The memo: dense for the indices pickle.dump writes (0, 1, 2 ...), a Map for any others (a Map of millions is slow). */
  private readonly memoDense: PyValue[] = [];
  private readonly memoSparse = new Map<number, PyValue>();
  private opOffset = 0;
  private nextBuffer = 0;
  /** Opcodes started so far: a file that fails in its very first one was hardly a pickle. */
  opcodesStarted = 0;

  constructor(
    private readonly reader: ByteReader,
    private readonly ctx: UnpicklerContext,
  ) {}

  /** Runs the pickle up to its STOP opcode and returns its value; the reader is left just after STOP. */
  load(): PyValue {
    const r = this.reader;
    for (;;) {
      this.opOffset = r.pos;
      this.opcodesStarted++;
      const op = r.u8();
      switch (op) {
        case OP.PROTO: {
          const version = r.u8('the protocol number');
          if (version > 5) this.unsupported(`pickle protocol ${version}, newer than the 5 batchcast reads`);
          break;
        }
        case OP.FRAME:
          // Frames only group opcodes for buffered reading; their length must still fit in the file.
          r.u64Length('a frame');
          break;
        case OP.STOP:
          return this.pop();

        // -- constants and numbers
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.INT:
          this.push(this.textInt(this.textLine('an INT', MAX_NUMBER_LINE), true));
          break;
        case OP.LONG:
          this.push(this.textInt(this.textLine('a LONG', MAX_NUMBER_LINE).replace(/L$/, ''), false));
          break;
        case OP.BININT:
          this.push(r.i32('a BININT'));
          break;
        case OP.BININT1:
          this.push(r.u8('a BININT1'));
          break;
        case OP.BININT2:
          this.push(r.u16('a BININT2'));
          break;
        case OP.LONG1:
          this.push(this.binaryLong(r.u8('a LONG1 length')));
          break;
        case OP.LONG4: {
          const n = r.i32('a LONG4 length');
          if (n < 0) this.corrupt('LONG4 has a negative length');
          this.push(this.binaryLong(n));
          break;
        }
        case OP.FLOAT:
          this.push(this.textFloat(this.textLine('a FLOAT', MAX_NUMBER_LINE)));
          break;
        case OP.BINFLOAT:
          this.push(r.f64be('a BINFLOAT'));
          break;

        // -- strings and bytes
        case OP.STRING:
          this.push(this.quotedString(this.dataLine('a STRING')));
          break;
        case OP.BINSTRING: {
          const n = r.i32('a BINSTRING length');
          if (n < 0) this.corrupt('BINSTRING has a negative length');
          this.push(latin1.decode(this.data(n, 'a BINSTRING')));
          break;
        }
        case OP.SHORT_BINSTRING:
          this.push(latin1.decode(this.data(r.u8('a SHORT_BINSTRING length'), 'a SHORT_BINSTRING')));
          break;
        case OP.UNICODE:
          this.push(rawUnicodeEscape(this.dataLine('a UNICODE')));
          break;
        case OP.BINUNICODE:
          this.push(utf8.decode(this.data(r.u32('a BINUNICODE length'), 'a BINUNICODE')));
          break;
        case OP.SHORT_BINUNICODE:
          this.push(utf8.decode(this.data(r.u8('a SHORT_BINUNICODE length'), 'a SHORT_BINUNICODE')));
          break;
        case OP.BINUNICODE8:
          this.push(utf8.decode(this.data(r.u64Length('a BINUNICODE8 length'), 'a BINUNICODE8')));
          break;
        case OP.BINBYTES:
          this.push(new PyBytes(this.data(r.u32('a BINBYTES length'), 'a BINBYTES')));
          break;
        case OP.SHORT_BINBYTES:
          this.push(new PyBytes(this.data(r.u8('a SHORT_BINBYTES length'), 'a SHORT_BINBYTES')));
          break;
        case OP.BINBYTES8:
          this.push(new PyBytes(this.data(r.u64Length('a BINBYTES8 length'), 'a BINBYTES8')));
          break;
        case OP.BYTEARRAY8:
          this.push(new PyBytes(this.data(r.u64Length('a BYTEARRAY8 length'), 'a BYTEARRAY8'), true));
          break;
        case OP.NEXT_BUFFER: {
          const buffer = this.ctx.buffers[this.nextBuffer++];
          if (!buffer) {
            throw new PickleError(
              'unsupported_opcode',
              'The pickle refers to an out-of-band buffer (pickle protocol 5 with buffer_callback) that is not in the file. Save the model ' +
                `with pickle.dump(model, f) without buffer_callback, or with joblib.dump. ${PICKLE_EXPORT_HINT}`,
              this.opOffset,
            );
          }
          this.push(new PyBytes(buffer));
          break;
        }
        case OP.READONLY_BUFFER: {
          const top = this.top();
          if (!(top instanceof PyBytes)) this.corrupt('READONLY_BUFFER applies to something that is not a buffer');
          this.stack[this.stack.length - 1] = new PyBytes(top.bytes, false);
          break;
        }

        // -- containers
        case OP.EMPTY_TUPLE:
          this.push(new PyTuple([]));
          break;
        case OP.TUPLE1:
          this.pushTuple(1);
          break;
        case OP.TUPLE2:
          this.pushTuple(2);
          break;
        case OP.TUPLE3:
          this.pushTuple(3);
          break;
        case OP.TUPLE: {
          const items = this.popMark();
          this.charge(1 + items.length);
          this.push(new PyTuple(items));
          break;
        }
        case OP.EMPTY_LIST:
          this.charge(1);
          this.push([]);
          break;
        case OP.LIST: {
          const items = this.popMark();
          this.charge(1 + items.length);
          this.push(items);
          break;
        }
        case OP.APPEND: {
          const item = this.pop();
          this.append(this.top(), [item]);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case OP.EMPTY_DICT:
          this.charge(1);
          this.push(new PyDict());
          break;
        case OP.DICT: {
          const items = this.popMark();
          this.charge(1);
          const dict = new PyDict();
          this.setItems(dict, items);
          this.push(dict);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case OP.EMPTY_SET:
          this.charge(1);
          this.push(new PySet([], false));
          break;
        case OP.ADDITEMS: {
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof PySet) || set.frozen) this.corrupt('ADDITEMS applies to something that is not a set');
          this.charge(items.length);
          for (const item of items) set.items.push(item);
          break;
        }
        case OP.FROZENSET: {
          const items = this.popMark();
          this.charge(1 + items.length);
          this.push(new PySet(items, true));
          break;
        }

        // -- stack and memo
        case OP.MARK:
          if (this.metastack.length >= this.ctx.limits.maxDepth) {
            throw exceeded(`MARKs nested more than ${this.ctx.limits.maxDepth} deep`, 'maxDepth', this.opOffset);
          }
          this.metastack.push(this.stack);
          this.saved += this.stack.length;
          this.stack = [];
          break;
        case OP.POP:
          if (this.stack.length > 0) this.stack.pop();
          else this.popMark();
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.DUP:
          this.push(this.top());
          break;
        case OP.GET:
          this.push(this.memoGet(this.textIndex(this.textLine('a GET', MAX_NUMBER_LINE))));
          break;
        case OP.BINGET:
          this.push(this.memoGet(r.u8('a BINGET')));
          break;
        case OP.LONG_BINGET:
          this.push(this.memoGet(r.u32('a LONG_BINGET')));
          break;
        case OP.PUT:
          this.memoPut(this.textIndex(this.textLine('a PUT', MAX_NUMBER_LINE)));
          break;
        case OP.BINPUT:
          this.memoPut(r.u8('a BINPUT'));
          break;
        case OP.LONG_BINPUT:
          this.memoPut(r.u32('a LONG_BINPUT'));
          break;
        case OP.MEMOIZE:
          this.memoPut(this.memoDense.length + this.memoSparse.size);
          break;

        // -- globals, objects and calls
        case OP.GLOBAL: {
          const module = this.textLine('a GLOBAL module', MAX_NAME_LINE);
          const name = this.textLine('a GLOBAL name', MAX_NAME_LINE);
          this.push(this.global(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.corrupt('STACK_GLOBAL is given names that are not strings');
          this.push(this.global(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const func = this.pop();
          if (!(args instanceof PyTuple)) this.corrupt('REDUCE is given arguments that are not a tuple');
          this.push(this.call(func, args.items, null));
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          if (!(args instanceof PyTuple)) this.corrupt('NEWOBJ is given arguments that are not a tuple');
          this.push(this.instantiate(cls, args.items, null));
          break;
        }
        case OP.NEWOBJ_EX: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(args instanceof PyTuple) || !(kwargs instanceof PyDict))
            this.corrupt('NEWOBJ_EX is given arguments that are not (tuple, dict)');
          this.push(this.instantiate(cls, args.items, kwargs));
          break;
        }
        case OP.INST: {
          const module = this.textLine('an INST module', MAX_NAME_LINE);
          const name = this.textLine('an INST name', MAX_NAME_LINE);
          const args = this.popMark();
          this.push(this.call(this.global(module, name), args, null));
          break;
        }
        case OP.OBJ: {
          const args = this.popMark();
          const cls = args.shift();
          if (cls === undefined) this.corrupt('OBJ has no class');
          this.push(this.call(cls, args, null));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case OP.PERSID:
        case OP.BINPERSID:
          this.unsupported('a persistent id (an object the pickle expects the loader to supply from elsewhere)');
          break;
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4:
          this.unsupported("an extension code (copyreg's registry of classes outside the file)");
          break;
        default:
          this.unsupported(`the byte 0x${op.toString(16).padStart(2, '0')}, which is not a pickle opcode`);
      }
    }
  }

  // -- the stack

  private push(v: PyValue): void {
    if (this.stack.length + this.saved >= this.ctx.limits.maxStackItems) {
      throw exceeded(`more than ${this.ctx.limits.maxStackItems} values on the pickle stack`, 'maxStackItems', this.opOffset);
    }
    this.stack.push(v);
  }

  private pop(): PyValue {
    if (this.stack.length === 0) this.corrupt('an opcode needs a value but the stack is empty');
    return this.stack.pop() as PyValue;
  }

  private top(): PyValue {
    if (this.stack.length === 0) this.corrupt('an opcode needs a value but the stack is empty');
    return this.stack[this.stack.length - 1] as PyValue;
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const previous = this.metastack.pop();
    if (!previous) this.corrupt('an opcode needs a MARK but there is none');
    this.stack = previous;
    this.saved -= previous.length;
    return items;
  }

  private pushTuple(n: number): void {
    const stack = this.stack;
    if (stack.length < n) this.corrupt(`TUPLE${n} needs ${n} values on the stack`);
    const items: PyValue[] = new Array(n);
    for (let i = n - 1; i >= 0; i--) items[i] = stack.pop() as PyValue;
    this.charge(1 + n);
    this.push(new PyTuple(items));
  }

  private memoGet(index: number): PyValue {
    const v = index < this.memoDense.length ? this.memoDense[index] : this.memoSparse.get(index);
    if (v === undefined) this.corrupt(`the memo has no entry ${index}`);
    return v;
  }

  private memoPut(index: number): void {
    const value = this.top();
    if (index < this.memoDense.length) {
      this.memoDense[index] = value;
      return;
    }
    const isNew = !this.memoSparse.delete(index);
    if (isNew && this.memoDense.length + this.memoSparse.size >= this.ctx.limits.maxMemoEntries) {
      throw exceeded(`more than ${this.ctx.limits.maxMemoEntries} memo entries`, 'maxMemoEntries', this.opOffset);
    }
    if (index === this.memoDense.length) this.memoDense.push(value);
    else this.memoSparse.set(index, value);
  }

  private charge(n: number): void {
    this.ctx.budget.objectsUsed(n, this.opOffset);
  }

  // -- containers

  private append(target: PyValue, items: PyValue[]): void {
    this.charge(items.length);
    const into = Array.isArray(target) ? target : target instanceof PyObject ? target.listItems : undefined;
    if (!into) this.corrupt('APPEND applies to something that is not a list');
    for (const item of items) into.push(item);
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (items.length % 2 !== 0) this.corrupt('SETITEMS has a key without a value');
    this.charge(items.length / 2);
    const into = target instanceof PyDict ? target.entries : target instanceof PyObject ? target.dictItems : undefined;
    if (!into) this.corrupt('SETITEM applies to something that is not a dict');
    for (let i = 0; i < items.length; i += 2) into.set(keyOf(items[i] as PyValue, this.opOffset), items[i + 1] as PyValue);
  }

  // -- globals, calls and objects

  private global(module: string, name: string): PyGlobal {
    if (!PYTHON_NAME.test(module) || !PYTHON_NAME.test(name)) {
      this.corrupt(`a global is named ${JSON.stringify(`${module}.${name}`.slice(0, 200))}, which is not a Python name`);
    }
    if (!lookupGlobal(module, name)) {
      const qualifiedName = `${module}.${name}`;
      const param = this.functionTransformerParameter();
      if (param && !qualifiedName.startsWith('sklearn.')) {
        throw Object.assign(
          new PickleError(
            'unsupported_class',
            functionTransformerRefusal("The model's FunctionTransformer", param, qualifiedName),
            this.opOffset,
            qualifiedName,
          ),
          { functionTransformerParameter: param },
        );
      }
      throw refusal(qualifiedName, this.opOffset);
    }
    const p3 = python3Name(module, name);
    return new PyGlobal(p3.module, p3.name);
  }

  /**
   * 'func' or 'inverse_func' when the global being read is the value of that key in the state of a FunctionTransformer
   * under construction (the key on top of the stack, the nearest object below it a FunctionTransformer), so that its
   * refusal says what the function is there for; null otherwise. Only words the message: everything is refused alike.
   */
  private functionTransformerParameter(): string | null {
    const key = this.stack.at(-1);
    if (key !== 'func' && key !== 'inverse_func') return null;
    for (const level of [this.stack, ...[...this.metastack].reverse()]) {
      for (let i = level.length - 1; i >= 0; i--) {
        const v = level[i];
        if (v instanceof PyObject) return v.name === 'FunctionTransformer' ? key : null;
      }
    }
    return null;
  }

  private numpyContext(): NumpyContext {
    return { budget: this.ctx.budget, offset: this.opOffset };
  }

  /** REDUCE, INST and OBJ: a class makes a PyObject, a function runs our implementation of it. */
  private call(func: PyValue, args: PyValue[], kwargs: PyDict | null): PyValue {
    if (!(func instanceof PyGlobal)) this.corrupt('the pickle calls something that is not a class or function');
    const entry = lookupGlobal(func.module, func.name);
    if (entry?.kind === 'class') return this.instantiate(func, args, kwargs);
    const implementation = entry?.kind === 'function' ? callableFor(entry.canonical) : undefined;
    if (!implementation) throw refusal(func.qualifiedName, this.opOffset, 'calls');
    return implementation(args, kwargs, this.numpyContext());
  }

  /** NEWOBJ and NEWOBJ_EX (cls.__new__(cls, *args)): only classes. */
  private instantiate(cls: PyValue, args: PyValue[], kwargs: PyDict | null): PyObject {
    if (!(cls instanceof PyGlobal)) this.corrupt('the pickle creates an object from something that is not a class');
    if (lookupGlobal(cls.module, cls.name)?.kind !== 'class') throw refusal(cls.qualifiedName, this.opOffset, 'creates');
    this.charge(1 + args.length);
    return new PyObject(cls.module, cls.name, args, kwargs);
  }

  private build(target: PyValue, state: PyValue): void {
    if (isPlaceholder(target)) {
      applyArrayState(target, state, this.numpyContext());
      return;
    }
    if (target instanceof PyDType) {
      applyDTypeState(target, state, this.numpyContext());
      return;
    }
    if (!(target instanceof PyObject)) this.corrupt('BUILD applies to something that is not an object');
    // BaseEstimator.__setstate__ and object's default both update the instance dict: merge repeated BUILDs.
    if (target.state instanceof PyDict && state instanceof PyDict) {
      for (const [k, v] of state.entries) target.state.entries.set(k, v);
    } else {
      target.state = state;
    }
    if (this.ctx.joblibArrays && JOBLIB_ARRAY_WRAPPERS.includes(target.qualifiedName)) {
      // joblib's NumpyUnpickler.load_build: the wrapper on the stack is replaced by the array read after it.
      const array = readWrappedArray(target, this.reader, this.numpyContext(), () =>
        new Unpickler(this.reader, { ...this.ctx, joblibArrays: false }).load(),
      );
      this.stack[this.stack.length - 1] = array;
    }
  }

  // -- protocol 0 text arguments and numbers

  private textLine(what: string, max: number): string {
    return utf8.decode(this.reader.line(what, max)).replace(/\r$/, '');
  }

  private dataLine(what: string): Uint8Array {
    const line = this.reader.line(what, this.ctx.limits.maxStringBytes * 6 + 16);
    return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
  }

  private data(n: number, what: string): Uint8Array {
    if (n > this.ctx.limits.maxStringBytes) {
      throw exceeded(`${what} of ${n} bytes`, 'maxStringBytes', this.opOffset);
    }
    return this.reader.take(n, what);
  }

  private textIndex(text: string): number {
    if (!/^\d{1,15}$/.test(text)) this.corrupt(`memo index ${JSON.stringify(text.slice(0, 40))} is not a number`);
    return Number(text);
  }

  private textInt(text: string, boolAllowed: boolean): number | bigint | boolean {
    // Python 2 wrote booleans as INT 01 / 00.
    if (boolAllowed && text === '01') return true;
    if (boolAllowed && text === '00') return false;
    const m = /^\s*([+-]?)(\d+)\s*$/.exec(text);
    if (!m) this.corrupt(`${JSON.stringify(text.slice(0, 40))} is not an integer`);
    if (m[2]!.length > MAX_INT_DIGITS) {
      throw new PickleError(
        'limit_exceeded',
        `The pickle holds an integer of more than ${MAX_INT_DIGITS} digits (at byte ${this.opOffset}).`,
        this.opOffset,
      );
    }
    return normalizeInt(BigInt(`${m[1]}${m[2]}`));
  }

  private textFloat(text: string): number {
    const t = text.trim().toLowerCase();
    if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (/^[+-]?nan$/.test(t)) return Number.NaN;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) this.corrupt(`${JSON.stringify(text.slice(0, 40))} is not a float`);
    return Number(t);
  }

  /** LONG1 / LONG4: little-endian two's complement of n bytes. */
  private binaryLong(n: number): number | bigint {
    if (n > MAX_LONG_BYTES) {
      throw new PickleError('limit_exceeded', `The pickle holds an integer of ${n} bytes (at byte ${this.opOffset}).`, this.opOffset);
    }
    const bytes = this.reader.take(n, 'a long integer');
    if (n === 0) return 0;
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += bytes[i]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return normalizeInt(v);
  }

  /** Protocol 0 STRING: a Python 2 str literal, quoted, with backslash escapes. */
  private quotedString(line: Uint8Array): string {
    const q = line[0];
    if (line.length < 2 || (q !== 0x27 && q !== 0x22) || line[line.length - 1] !== q) this.corrupt('a STRING is not quoted');
    const body = line.subarray(1, -1);
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== 0x5c) {
        out += String.fromCharCode(c);
        continue;
      }
      const e = body[++i];
      if (e === undefined) this.corrupt('a STRING ends with a backslash');
      const simple = STRING_ESCAPES.get(e);
      if (simple !== undefined) out += simple;
      else if (e === 0x78) {
        const hex = String.fromCharCode(body[i + 1] ?? 0, body[i + 2] ?? 0);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.corrupt('a STRING has a bad \\x escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 2;
      } else if (e >= 0x30 && e <= 0x37) {
        let oct = String.fromCharCode(e);
        while (oct.length < 3 && body[i + 1] !== undefined && body[i + 1]! >= 0x30 && body[i + 1]! <= 0x37)
          oct += String.fromCharCode(body[++i]!);
        out += String.fromCharCode(Number.parseInt(oct, 8) & 0xff);
      } else out += `\\${String.fromCharCode(e)}`;
    }
    return out;
  }

  private corrupt(message: string): never {
    throw new PickleError('corrupt', `The pickle is inconsistent at byte ${this.opOffset}: ${message}.`, this.opOffset);
  }

  private unsupported(what: string): never {
    throw new PickleError(
      'unsupported_opcode',
      `The pickle uses ${what} at byte ${this.opOffset}, which batchcast does not read. ${PICKLE_EXPORT_HINT}`,
      this.opOffset,
    );
  }
}

/** Protocol 0 UNICODE: raw-unicode-escape, i.e. latin1 bytes where \uXXXX and \UXXXXXXXX stand for other characters. */
function rawUnicodeEscape(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x5c && (bytes[i + 1] === 0x75 || bytes[i + 1] === 0x55)) {
      const width = bytes[i + 1] === 0x75 ? 4 : 8;
      const hex = latin1.decode(bytes.subarray(i + 2, i + 2 + width));
      if (hex.length === width && /^[0-9a-fA-F]+$/.test(hex)) {
        const cp = Number.parseInt(hex, 16);
        if (cp <= 0x10ffff) {
          out += String.fromCodePoint(cp);
          i += 1 + width;
          continue;
        }
      }
    }
    out += String.fromCharCode(c);
  }
  return out;
}
