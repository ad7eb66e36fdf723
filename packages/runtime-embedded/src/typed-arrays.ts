type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** `from`'s contents at the start of a new, longer array of the same kind: typed arrays cannot grow in place. */
export function grown<A extends Typed>(from: A, length: number): A {
  const to = new (from.constructor as new (n: number) => A)(length);
  (to as Typed).set(from as never);
  return to;
}
