import { AppError } from '../errors.ts';

/**
 * Functions an untrusted SELECT may call: arithmetic, comparison, text, date and aggregate functions that read
 * nothing but their arguments. Everything else — file and network readers, catalogue and settings functions,
 * macros, table functions — is refused before the engine sees the query.
 */
const ALLOWED_FUNCTIONS = new Set([
  // aggregates
  'count', 'count_star', 'sum', 'avg', 'mean', 'min', 'max', 'median', 'mode', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop',
  'var_samp', 'quantile_cont', 'quantile_disc', 'approx_count_distinct', 'approx_quantile', 'string_agg', 'group_concat', 'first', 'last',
  'any_value', 'arg_min', 'arg_max', 'bool_and', 'bool_or', 'corr', 'covar_pop', 'covar_samp', 'regr_slope', 'regr_intercept', 'histogram',
  // window
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value',
  // numbers
  'abs', 'round', 'floor', 'ceil', 'ceiling', 'trunc', 'sqrt', 'cbrt', 'pow', 'power', 'exp', 'ln', 'log', 'log10', 'log2', 'sign', 'mod',
  'greatest', 'least', 'pi', 'radians', 'degrees', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'isnan', 'isinf', 'isfinite',
  // text
  'lower', 'upper', 'lcase', 'ucase', 'length', 'char_length', 'strlen', 'substr', 'substring', 'left', 'right', 'trim', 'ltrim', 'rtrim',
  'replace', 'concat', 'concat_ws', 'strpos', 'instr', 'position', 'contains', 'starts_with', 'ends_with', 'prefix', 'suffix', 'lpad',
  'rpad', 'repeat', 'reverse', 'split_part', 'regexp_matches', 'regexp_replace', 'regexp_extract', 'regexp_full_match', 'like_escape',
  'ilike_escape', 'md5', 'sha256', 'hash', 'format', 'printf', 'string_split', 'unicode', 'chr', 'ascii', 'levenshtein', 'jaccard',
  // dates and times
  'date_trunc', 'date_part', 'datepart', 'extract', 'year', 'month', 'day', 'hour', 'minute', 'second', 'dayofweek', 'dayofyear', 'week',
  'weekofyear', 'quarter', 'yearweek', 'isodow', 'dayname', 'monthname', 'strftime', 'strptime', 'date_diff', 'datediff', 'date_sub',
  'datesub', 'date_add', 'age', 'make_date', 'make_timestamp', 'epoch', 'epoch_ms', 'to_timestamp', 'last_day', 'current_date',
  'today', 'time_bucket', 'century', 'decade', 'era', 'millennium', 'isoyear',
  // conditionals and conversions
  'coalesce', 'nullif', 'ifnull', 'if', 'typeof', 'to_json', 'json_extract', 'json_extract_string', 'json_extract_path', 'json_valid',
  'struct_extract', 'struct_pack', 'row', 'list_value', 'array_length', 'len',
]);

/** Operators appear as functions named by their symbols (+, ||, ~~ for LIKE …). */
const OPERATOR = /^[-+*/%|&^<>=!~@#]+$/;

/**
 * What a FROM clause may hold: tables (open datasets or WITH names), joins, subqueries, VALUES lists and nothing.
 * Anything else the parser may put there — SHOW / DESCRIBE / SUMMARIZE (which list the engine's tables and
 * columns), PIVOT, table functions — is refused, so a new kind of reference is closed until it is let in here.
 */
const TABLE_REFS = new Set(['BASE_TABLE', 'JOIN', 'SUBQUERY', 'EXPRESSION_LIST', 'EMPTY']);
/** The keys under which the parse holds table references (a JOIN's sides are left and right). */
const TABLE_REF_KEYS = new Set(['from_table', 'left', 'right']);

/** Statement shapes a read-only query may take. */
const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'CTE_NODE', 'RECURSIVE_CTE_NODE']);

function refuse(reason: string): never {
  throw new AppError('SQL_REFUSED', { reason });
}

/**
 * Checks the engine's own parse of an untrusted query (json_serialize_sql) and returns the table names it reads:
 * one SELECT statement; every table one of `allowed` (or a CTE of the query), unqualified; no table functions;
 * only allowed functions, unqualified.
 */
export function checkSandboxAst(ast: unknown, allowed: Set<string>, existing: Set<string> = new Set()): Set<string> {
  const doc = ast as { error?: boolean; error_type?: string; error_message?: string; statements?: { node: { type: string } }[] };
  if (doc.error) {
    if (/only select/i.test(doc.error_message ?? '')) refuse('only one read-only SELECT statement is accepted (no PRAGMA, COPY, ATTACH, INSTALL, LOAD, SET or DDL)');
    throw new AppError('SQL_INVALID', { reason: (doc.error_message ?? 'syntax error').split('\n')[0] });
  }
  const statements = doc.statements ?? [];
  if (statements.length !== 1) refuse(`send exactly one SELECT statement (got ${statements.length})`);
  if (!QUERY_NODES.has(statements[0].node.type)) refuse('only a SELECT query is accepted');
  const ctes = new Set<string>();
  const used = new Set<string>();
  const tables: { schema: string; catalog: string; name: string }[] = [];
  const walk = (v: unknown, key = ''): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    // Expressions carry a class (a comparison's sides are also called left and right); table references do not, nor
    // the queries on either side of a UNION or a recursive WITH (walked like any other).
    if (TABLE_REF_KEYS.has(key) && !('class' in o) && !TABLE_REFS.has(String(o.type)) && !QUERY_NODES.has(String(o.type))) {
      refuse(o.type === 'SHOW_REF' ? 'SHOW, DESCRIBE and SUMMARIZE are not available; datastore_info describes an open dataset' : `a ${String(o.type)} in FROM is not available; read open datasets by their resource id`);
    }
    if (o.cte_map && typeof o.cte_map === 'object') {
      for (const e of ((o.cte_map as { map?: { key: string }[] }).map ?? [])) {
        // A CTE named like a real relation (or a file) would let a reference outside its scope reach that relation:
        // CTE names must be plain identifiers that name nothing in the engine and no published table.
        const name = String(e.key);
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) refuse(`a WITH name must be a plain identifier; "${name}" is not`);
        if (existing.has(name.toLowerCase()) || allowed.has(name.toLowerCase())) refuse(`a WITH name may not reuse the name of a table or view ("${name}")`);
        ctes.add(name.toLowerCase());
      }
    }
    if (o.type === 'TABLE_FUNCTION') refuse('table functions (read_csv, read_parquet, glob, duckdb_tables() …) are not available');
    if (o.type === 'BASE_TABLE') tables.push({ schema: String(o.schema_name ?? ''), catalog: String(o.catalog_name ?? ''), name: String(o.table_name ?? '') });
    if ((o.class === 'FUNCTION' || o.class === 'WINDOW') && typeof o.function_name === 'string') {
      const name = o.function_name.toLowerCase();
      if ((o.schema && o.schema !== '') || (o.catalog && o.catalog !== '')) refuse(`function ${o.schema}.${name} is not available`);
      if (!OPERATOR.test(name) && !ALLOWED_FUNCTIONS.has(name)) refuse(`function ${name}() is not available here`);
    }
    for (const [k, x] of Object.entries(o)) walk(x, k);
  };
  walk(statements);
  for (const t of tables) {
    const name = t.name.toLowerCase();
    if (t.schema || t.catalog) refuse(`only the open datasets can be read, by their resource id; ${[t.catalog, t.schema, t.name].filter(Boolean).join('.')} is not one`);
    if (ctes.has(name)) continue;
    if (!allowed.has(name)) refuse(`"${t.name}" is not an open dataset; use a resource id from package_show or datastore_search`);
    used.add(name);
  }
  return used;
}
