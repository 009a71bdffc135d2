import { isIP } from 'node:net';
import { Environment } from '@marcbachmann/cel-js';
import { FgaError } from '../errors';
import type { ConditionDefinition, ConditionParamTypeRef } from '../types';

/** OpenFGA's `ipaddress` condition type. */
class IpAddress {
  readonly bytes: number[];
  constructor(readonly text: string) {
    this.bytes = ipBytes(text) ?? [];
  }
}

function ipBytes(text: string): number[] | undefined {
  const version = isIP(text);
  if (version === 4) return text.split('.').map(Number);
  if (version !== 6) return undefined;
  let address = text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  let tail: number[] = [];
  if (embedded?.[1]) {
    tail = embedded[1].split('.').map(Number);
    address = `${address.slice(0, -embedded[1].length)}0:0`;
  }
  const [head = '', rest] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups =
    rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const bytes = groups.flatMap((group) => {
    const value = Number.parseInt(group || '0', 16);
    return [value >> 8, value & 255];
  });
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function inCidr(address: IpAddress, cidr: string): boolean {
  const slash = cidr.indexOf('/');
  if (slash < 0) throw new Error(`'${cidr}' is not a CIDR`);
  const network = ipBytes(cidr.slice(0, slash));
  const bits = Number(cidr.slice(slash + 1));
  if (!network || !Number.isInteger(bits) || bits < 0 || bits > network.length * 8) {
    throw new Error(`'${cidr}' is not a CIDR`);
  }
  let bytes = address.bytes;
  if (
    bytes.length === 16 &&
    network.length === 4 &&
    bytes.slice(0, 12).join() === '0,0,0,0,0,0,0,0,0,0,255,255'
  ) {
    bytes = bytes.slice(12);
  }
  if (bytes.length !== network.length) return false;
  for (let bit = 0; bit < bits; bit++) {
    const index = bit >> 3;
    const mask = 128 >> (bit & 7);
    if (((bytes[index] as number) & mask) !== ((network[index] as number) & mask)) return false;
  }
  return true;
}

function createEnvironment(): Environment {
  return new Environment()
    .registerType('ipaddress', IpAddress)
    .registerFunction('ipaddress(string): ipaddress', (text: string) => {
      if (!isIP(text)) throw new Error(`'${text}' is not an IP address`);
      return new IpAddress(text);
    })
    .registerFunction({
      name: 'in_cidr',
      receiverType: 'ipaddress',
      returnType: 'bool',
      params: [{ name: 'cidr', type: 'string' }],
      handler: (address: IpAddress, cidr: string) => inCidr(address, cidr),
    });
}

const helper = createEnvironment().registerVariable('v', 'dyn');
const toTimestamp = helper.parse('timestamp(v)');
const toDuration = helper.parse('duration(v)');
const toUint = helper.parse('uint(v)');

/** The CEL type string for an OpenFGA parameter type. */
function celType(ref: ConditionParamTypeRef): string {
  const generic = ref.generic_types?.[0];
  switch (ref.type_name) {
    case 'TYPE_NAME_BOOL':
      return 'bool';
    case 'TYPE_NAME_STRING':
      return 'string';
    case 'TYPE_NAME_INT':
      return 'int';
    case 'TYPE_NAME_UINT':
      return 'uint';
    case 'TYPE_NAME_DOUBLE':
      return 'double';
    case 'TYPE_NAME_DURATION':
      return 'google.protobuf.Duration';
    case 'TYPE_NAME_TIMESTAMP':
      return 'google.protobuf.Timestamp';
    case 'TYPE_NAME_IPADDRESS':
      return 'ipaddress';
    case 'TYPE_NAME_ANY':
      return 'dyn';
    case 'TYPE_NAME_MAP':
      return `map<string, ${generic ? celType(generic) : 'dyn'}>`;
    case 'TYPE_NAME_LIST':
      return `list<${generic ? celType(generic) : 'dyn'}>`;
    default:
      throw new Error(`unsupported parameter type '${String(ref.type_name)}'`);
  }
}

/** Converts a JSON context value into the CEL value of the parameter type; throws on mismatch. */
function convert(value: unknown, ref: ConditionParamTypeRef): unknown {
  const generic = ref.generic_types?.[0];
  switch (ref.type_name) {
    case 'TYPE_NAME_BOOL':
      if (typeof value !== 'boolean') throw new Error('expected a bool');
      return value;
    case 'TYPE_NAME_STRING':
      if (typeof value !== 'string') throw new Error('expected a string');
      return value;
    case 'TYPE_NAME_INT': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number === 'bigint') return number;
      if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw new Error('expected an int');
      return BigInt(number);
    }
    case 'TYPE_NAME_UINT': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
        throw new Error('expected a uint');
      }
      return toUint({ v: BigInt(number) });
    }
    case 'TYPE_NAME_DOUBLE': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number)) throw new Error('expected a double');
      return number;
    }
    case 'TYPE_NAME_DURATION':
      if (typeof value !== 'string') throw new Error('expected a duration string');
      return toDuration({ v: value });
    case 'TYPE_NAME_TIMESTAMP':
      if (typeof value !== 'string') throw new Error('expected an RFC 3339 timestamp');
      return toTimestamp({ v: value });
    case 'TYPE_NAME_IPADDRESS':
      if (typeof value !== 'string' || !isIP(value)) throw new Error('expected an IP address');
      return new IpAddress(value);
    case 'TYPE_NAME_MAP': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('expected a map');
      if (!generic || generic.type_name === 'TYPE_NAME_ANY') return value;
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convert(item, generic)]));
    }
    case 'TYPE_NAME_LIST':
      if (!Array.isArray(value)) throw new Error('expected a list');
      if (!generic || generic.type_name === 'TYPE_NAME_ANY') return value;
      return value.map((item) => convert(item, generic));
    default:
      return value;
  }
}

/** A condition compiled once per model. */
export interface CompiledCondition {
  name: string;
  parameterNames: string[];
  /** Evaluates against the merged context; returns the boolean or throws an `FgaError`. */
  evaluate(context: Record<string, unknown>): boolean;
}

/** Compiles a model condition; throws a plain `Error` describing what is wrong with it. */
export function compileCondition(definition: ConditionDefinition): CompiledCondition {
  const parameters = Object.entries(definition.parameters ?? {});
  let environment = createEnvironment();
  for (const [name, ref] of parameters) environment = environment.registerVariable(name, celType(ref));
  const checked = environment.check(definition.expression);
  if (!checked.valid) throw new Error(checked.error?.message ?? 'invalid expression');
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new Error(`expression must be of type bool, is ${checked.type}`);
  }
  const program = environment.parse(definition.expression);
  const name = definition.name;
  return {
    name,
    parameterNames: parameters.map(([parameter]) => parameter),
    evaluate(context) {
      const values: Record<string, unknown> = {};
      const missing: string[] = [];
      for (const [parameter, ref] of parameters) {
        if (!Object.hasOwn(context, parameter) || context[parameter] === undefined) {
          missing.push(parameter);
          continue;
        }
        try {
          values[parameter] = convert(context[parameter], ref);
        } catch (error) {
          throw new FgaError(
            'validation_error',
            `failed to evaluate relationship condition '${name}': parameter '${parameter}': ${(error as Error).message}`,
            { cause: error },
          );
        }
      }
      if (missing.length > 0) {
        throw new FgaError(
          'validation_error',
          `failed to evaluate relationship condition '${name}': missing parameters [${missing.join(', ')}]`,
        );
      }
      let result: unknown;
      try {
        result = program(values);
      } catch (error) {
        throw new FgaError(
          'validation_error',
          `failed to evaluate relationship condition '${name}': ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (typeof result !== 'boolean') {
        throw new FgaError('validation_error', `relationship condition '${name}' did not evaluate to a bool`);
      }
      return result;
    },
  };
}
