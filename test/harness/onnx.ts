/**
 * A tiny ONNX model, encoded by hand (protobuf wire format, onnx.proto field numbers), so the
 * onnxruntime-web tests run a real model without a model file or a protobuf library.
 */

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
};

/** A length-delimited field (wire type 2): strings and nested messages. */
const field = (num: number, body: number[] | string): number[] => {
  const bytes = typeof body === 'string' ? [...new TextEncoder().encode(body)] : body;
  return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
};
/** A varint field (wire type 0). */
const int = (num: number, value: number): number[] => [...varint(num << 3), ...varint(value)];

const FLOAT = 1; // TensorProto.DataType.FLOAT

/** ValueInfoProto { name, type: TypeProto { tensor_type { elem_type: FLOAT, shape { dim { dim_value } } } } }. */
const floatVector = (name: string, length: number): number[] =>
  field(1, name).concat(field(2, field(1, [...int(1, FLOAT), ...field(2, field(1, int(1, length)))])));

/**
 * ModelProto { ir_version 8, opset_import { domain "", version 13 }, graph { node { op_type (a, b) → y },
 * input a, b: float[length], output y: float[length] } }.
 */
export function binaryOpModel(opType: 'Add' | 'Mul', length: number): Uint8Array {
  const node = [...field(1, 'a'), ...field(1, 'b'), ...field(2, 'y'), ...field(3, 'op'), ...field(4, opType)];
  const graph = [
    ...field(1, node),
    ...field(2, 'weft-test'),
    ...field(11, floatVector('a', length)),
    ...field(11, floatVector('b', length)),
    ...field(12, floatVector('y', length)),
  ];
  const opset = [...field(1, ''), ...int(2, 13)];
  return new Uint8Array([...int(1, 8), ...field(2, 'weft'), ...field(7, graph), ...field(8, opset)]);
}
