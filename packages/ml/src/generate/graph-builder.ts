import onnxProto from 'onnx-proto'

const { onnx } = onnxProto

/** int, ints, string, or an explicit float (ONNX distinguishes INT from FLOAT attributes). */
type AttributeValue = number | number[] | string | { float: number }

export interface GraphInput {
  name: string
  type: 'int64' | 'float32'
  dims: (number | string)[]
}

/** Builds an ONNX graph node by node; every node gets a unique output name. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = []
  private readonly initializers: onnxProto.onnx.ITensorProto[] = []
  private readonly initializerNames = new Set<string>()
  private counter = 0

  constructor(private readonly prefix: string) {}

  /** Adds a node and returns the name of its (single) output. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    const output = `${this.prefix}/${opType}_${this.counter++}`
    this.nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([name, value]) => toAttribute(name, value)),
    })
    return output
  }

  /** Renames the output of the last node, so graph outputs get their contract names. */
  nameLastOutput(name: string): string {
    const last = this.nodes.at(-1)
    if (!last?.output) throw new Error('nameLastOutput called on an empty graph')
    last.output = [name]
    return name
  }

  float(name: string, dims: number[], values: Float32Array): string {
    this.claim(name)
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    })
    return name
  }

  int64(name: string, dims: number[], values: number[]): string {
    this.claim(name)
    const data = BigInt64Array.from(values, BigInt)
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    })
    return name
  }

  /** A float constant; asking twice for the same name reuses it. */
  scalar(name: string, value: number): string {
    if (this.initializerNames.has(name)) return name
    return this.float(name, [], Float32Array.of(value))
  }

  private claim(name: string): void {
    if (this.initializerNames.has(name)) throw new Error(`duplicate initializer ${name}`)
    this.initializerNames.add(name)
  }

  toModelBytes(inputs: GraphInput[], outputs: GraphInput[], producer: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: this.prefix,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs.map(toValueInfo),
        output: outputs.map(toValueInfo),
      },
    })
    return onnx.ModelProto.encode(model).finish()
  }
}

function toValueInfo(value: GraphInput): onnxProto.onnx.IValueInfoProto {
  const elemType =
    value.type === 'int64' ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: value.dims.map((dim) =>
            typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim },
          ),
        },
      },
    },
  }
}

function toAttribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType
  if (typeof value === 'string') {
    return { name, type: types.STRING, s: new TextEncoder().encode(value) }
  }
  if (Array.isArray(value)) return { name, type: types.INTS, ints: value }
  if (typeof value === 'number') return { name, type: types.INT, i: value }
  return { name, type: types.FLOAT, f: value.float }
}
