/**
 * Just enough GraphQL for the Lightfunnels simulator: one query operation (shorthand `{ … }` or
 * `query Name($v: Int) { … }`), fields with aliases, arguments (literals and variables) and nested
 * selections, `__typename`. No fragments or directives; a mutation is parsed (parseOperation) for the
 * caller to run its root fields itself. The answer holds exactly the selected fields, as a GraphQL
 * server's does.
 */

export class GraphqlError extends Error {}

type ArgValue = string | number | boolean | null | ArgValue[] | { [key: string]: ArgValue };

export interface Field {
  alias?: string;
  name: string;
  args: Record<string, ArgValue>;
  selections?: Field[];
}

/** An object the executor walks: scalars, nested objects, lists, or resolvers taking the field's arguments. */
export interface GraphqlObject {
  __typename: string;
  [field: string]: unknown;
}

type Token = { kind: 'punct' | 'name' | 'number' | 'string' | 'variable'; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/[\s,\uFEFF]/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if ('{}():[]=!@'.includes(c)) {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else if (c === '$') {
      const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i + 1));
      if (!name) throw new GraphqlError('Syntax Error: Expected a variable name after "$".');
      tokens.push({ kind: 'variable', value: name[0] });
      i += 1 + name[0].length;
    } else if (/[_A-Za-z]/.test(c)) {
      const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i))![0];
      tokens.push({ kind: 'name', value: name });
      i += name.length;
    } else if (/[-0-9]/.test(c)) {
      const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!number) throw new GraphqlError(`Syntax Error: Invalid number at position ${i}.`);
      tokens.push({ kind: 'number', value: number[0] });
      i += number[0].length;
    } else if (c === '"') {
      const string = /^"(?:[^"\\\n\r]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*"/.exec(source.slice(i));
      if (!string || source.startsWith('"""', i))
        throw new GraphqlError(`Syntax Error: Invalid string at position ${i}.`);
      tokens.push({ kind: 'string', value: JSON.parse(string[0]) as string });
      i += string[0].length;
    } else if (source.startsWith('...', i)) {
      throw new GraphqlError('The sandbox does not support fragments.');
    } else {
      throw new GraphqlError(`Syntax Error: Unexpected character "${c}".`);
    }
  }
  return tokens;
}

/** A parsed operation: its kind and its root fields. */
export interface Operation {
  operation: 'query' | 'mutation';
  fields: Field[];
}

class Parser {
  private at = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly variables: Record<string, unknown>,
  ) {}

  document(allowed: readonly Operation['operation'][] = ['query']): Operation {
    let selections: Field[];
    let operation: Operation['operation'] = 'query';
    if (this.peek('name')) {
      const name = this.take('name').value;
      if (!(allowed as readonly string[]).includes(name))
        throw new GraphqlError(`The sandbox answers ${allowed.join(' and ')} operations only, not ${name}.`);
      operation = name as Operation['operation'];
      if (this.peek('name')) this.take('name');
      if (this.peekPunct('(')) this.skipVariableDefinitions();
      selections = this.selectionSet();
    } else {
      selections = this.selectionSet();
    }
    if (this.at < this.tokens.length) throw new GraphqlError('Syntax Error: Expected a single operation.');
    return { operation, fields: selections };
  }

  private selectionSet(): Field[] {
    this.punct('{');
    const fields: Field[] = [];
    while (!this.peekPunct('}')) fields.push(this.field());
    this.punct('}');
    if (!fields.length) throw new GraphqlError('Syntax Error: Expected a field.');
    return fields;
  }

  private field(): Field {
    let name = this.take('name').value;
    let alias: string | undefined;
    if (this.peekPunct(':')) {
      this.punct(':');
      alias = name;
      name = this.take('name').value;
    }
    const args: Record<string, ArgValue> = {};
    if (this.peekPunct('(')) {
      this.punct('(');
      while (!this.peekPunct(')')) {
        const arg = this.take('name').value;
        this.punct(':');
        args[arg] = this.value();
      }
      this.punct(')');
    }
    if (this.peekPunct('@')) throw new GraphqlError('The sandbox does not support directives.');
    return { alias, name, args, selections: this.peekPunct('{') ? this.selectionSet() : undefined };
  }

  private value(): ArgValue {
    const token = this.tokens[this.at++];
    if (!token) throw new GraphqlError('Syntax Error: Unexpected end of the query.');
    switch (token.kind) {
      case 'number':
        return Number(token.value);
      case 'string':
        return token.value;
      case 'variable':
        return (this.variables[token.value] ?? null) as ArgValue;
      case 'name':
        return token.value === 'true'
          ? true
          : token.value === 'false'
            ? false
            : token.value === 'null'
              ? null
              : token.value;
      case 'punct':
        if (token.value === '[') {
          const list: ArgValue[] = [];
          while (!this.peekPunct(']')) list.push(this.value());
          this.punct(']');
          return list;
        }
        if (token.value === '{') {
          const object: Record<string, ArgValue> = {};
          while (!this.peekPunct('}')) {
            const key = this.take('name').value;
            this.punct(':');
            object[key] = this.value();
          }
          this.punct('}');
          return object;
        }
    }
    throw new GraphqlError(`Syntax Error: Unexpected "${token.value}".`);
  }

  /** `($first: Int = 10, $after: String)`: the values come from the request's `variables`. */
  private skipVariableDefinitions(): void {
    this.punct('(');
    while (!this.peekPunct(')')) {
      if (!this.tokens[this.at]) throw new GraphqlError('Syntax Error: Unexpected end of the query.');
      this.at++;
    }
    this.punct(')');
  }

  private peek(kind: Token['kind']): boolean {
    return this.tokens[this.at]?.kind === kind;
  }

  private peekPunct(value: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'punct' && token.value === value;
  }

  private take(kind: Token['kind']): Token {
    const token = this.tokens[this.at];
    if (token?.kind !== kind)
      throw new GraphqlError(`Syntax Error: Expected ${kind}, found ${token ? `"${token.value}"` : 'the end'}.`);
    this.at++;
    return token;
  }

  private punct(value: string): void {
    const token = this.tokens[this.at];
    if (token?.kind !== 'punct' || token.value !== value)
      throw new GraphqlError(`Syntax Error: Expected "${value}", found ${token ? `"${token.value}"` : 'the end'}.`);
    this.at++;
  }
}

const isObject = (v: unknown): v is GraphqlObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as GraphqlObject).__typename === 'string';

function resolve(selections: Field[], object: GraphqlObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of selections) {
    const key = field.alias ?? field.name;
    if (field.name === '__typename') {
      out[key] = object.__typename;
      continue;
    }
    if (!Object.hasOwn(object, field.name) || field.name.startsWith('__'))
      throw new GraphqlError(`Cannot query field "${field.name}" on type "${object.__typename}".`);
    const raw = object[field.name];
    const value: unknown = typeof raw === 'function' ? (raw as (args: unknown) => unknown)(field.args) : raw;
    out[key] = complete(field, value, object.__typename);
  }
  return out;
}

function complete(field: Field, value: unknown, parentType: string): unknown {
  if (Array.isArray(value)) return value.map((item) => complete(field, item, parentType));
  if (isObject(value)) {
    if (!field.selections)
      throw new GraphqlError(`Field "${field.name}" of type "${value.__typename}" must have a selection of subfields.`);
    return resolve(field.selections, value);
  }
  if (field.selections)
    throw new GraphqlError(`Field "${field.name}" on type "${parentType}" has no subfields to select.`);
  return value ?? null;
}

/** Runs `query` against `root`; throws GraphqlError for what a server answers with `errors`. */
export function executeGraphql(
  query: string,
  variables: Record<string, unknown>,
  root: GraphqlObject,
): Record<string, unknown> {
  const { fields } = new Parser(tokenize(query), variables).document();
  return resolve(fields, root);
}

/** A query or a mutation, parsed; the caller runs a mutation's root fields (they may write). */
export function parseOperation(query: string, variables: Record<string, unknown>): Operation {
  return new Parser(tokenize(query), variables).document(['query', 'mutation']);
}

/** The answer to one root field whose value the caller computed: its selected subfields. */
export function selectField(field: Field, value: unknown, parentType: string): unknown {
  return complete(field, value, parentType);
}

/** The top-level fields a query selects, or null when it does not parse (the executor then says why). */
export function rootFields(query: string): string[] | null {
  try {
    return new Parser(tokenize(query), {}).document().fields.map((field) => field.name);
  } catch (e) {
    if (e instanceof GraphqlError) return null;
    throw e;
  }
}
