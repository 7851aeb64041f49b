// tickflow's own lint rules: the import gate (the counterpart of a Go depguard
// rule set), layer rules from docs/architecture.md, and hot-path bans.
// Every message reads `… is not allowed: Use … instead`, and scripts/lint.mjs
// prints `path:line:col: message (rule-name)`.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')

/** Path of a file relative to the repository root, with forward slashes. */
function rel(filename) {
  return path.relative(ROOT, path.resolve(filename)).split(path.sep).join('/')
}

/** The src/ layer of a repo-relative path ("src/venues/binance/x.ts" -> "venues"), or null. */
export function layerOf(relPath) {
  const m = /^src\/([^/]+)(\/|$)/.exec(relPath)
  if (!m) return null
  return m[1].endsWith('.ts') ? 'root' : m[1]
}

function globToRegExp(glob) {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*'
      i++
      if (glob[i + 1] === '/') i++
    } else if (c === '*') re += '[^/]*'
    else if ('.+?^${}()|[]\\'.includes(c)) re += '\\' + c
    else re += c
  }
  return new RegExp('^' + re + '$')
}

function matchesAny(relPath, globs) {
  return (globs ?? []).some((g) => globToRegExp(g).test(relPath))
}

function importNodes(node, report) {
  // import … from 'x'; export … from 'x'; import('x')
  return {
    ImportDeclaration(n) {
      report(n, n.source.value, n)
    },
    ExportNamedDeclaration(n) {
      if (n.source) report(n, n.source.value, n)
    },
    ExportAllDeclaration(n) {
      report(n, n.source.value, n)
    },
    ImportExpression(n) {
      if (n.source.type === 'Literal' && typeof n.source.value === 'string') report(n, n.source.value, n)
    },
  }
}

/** `import 'X'` bans: options [{ name, allowIn: [globs], use, importNames? }] */
const bannedImports = {
  meta: { type: 'problem', schema: [{ type: 'array' }], messages: { banned: "import '{{name}}' is not allowed: Use {{use}} instead" } },
  create(context) {
    const bans = context.options[0] ?? []
    const file = rel(context.filename)
    return importNodes(null, (node, source) => {
      for (const ban of bans) {
        if (source !== ban.name && !source.startsWith(ban.name + '/')) continue
        if (matchesAny(file, ban.allowIn)) continue
        if (ban.importNames) {
          const names = (node.specifiers ?? []).map((s) => (s.imported ? s.imported.name ?? s.imported.value : null))
          const hit = names.find((n) => ban.importNames.includes(n))
          if (!hit) continue
          context.report({ node, messageId: 'banned', data: { name: `${hit}' from '${source}`, use: ban.use } })
          continue
        }
        context.report({ node, messageId: 'banned', data: { name: source, use: ban.use } })
      }
    })
  },
}

/** Layer rules: options [{ layers: { layer: [allowed layers] } }] */
const layerImports = {
  meta: {
    type: 'problem',
    schema: [{ type: 'object' }],
    messages: { layer: "import '{{name}}' is not allowed: Use {{use}} instead" },
  },
  create(context) {
    const { layers } = context.options[0] ?? { layers: {} }
    const file = rel(context.filename)
    const from = layerOf(file)
    if (from === null || !(from in layers)) return {}
    const allowed = new Set([from, ...layers[from]])
    return importNodes(null, (node, source) => {
      if (!source.startsWith('.')) return
      const target = rel(path.resolve(path.dirname(path.resolve(ROOT, file)), source))
      const to = layerOf(target)
      if (to === null || allowed.has(to)) return
      context.report({
        node,
        messageId: 'layer',
        data: {
          name: source,
          use: `an interface from model/ports.ts (src/${from} may import only ${[...allowed].filter((l) => l !== from).join(', ') || 'node builtins'})`,
        },
      })
    })
  },
}

// ---- import cycles over src/ (built once per lint process) -------------------------------

let graphCache = null

function listTs(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) listTs(p, out)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

function buildGraph() {
  const files = listTs(path.join(ROOT, 'src'), [])
  const graph = new Map()
  for (const f of files) {
    const text = readFileSync(f, 'utf8')
    const deps = []
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2]
      // Type-only imports do not create runtime cycles.
      const line = m[0]
      if (/^\s*(import|export)\s+type\s/.test(line.trimStart())) continue
      const target = path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts'))
      deps.push(target)
    }
    graph.set(f, deps)
  }
  // Tarjan's strongly connected components.
  let index = 0
  const idx = new Map()
  const low = new Map()
  const stack = []
  const on = new Set()
  const cycleOf = new Map()
  function strong(v) {
    idx.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) {
        strong(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)))
    }
    if (low.get(v) === idx.get(v)) {
      const comp = []
      let w
      do {
        w = stack.pop()
        on.delete(w)
        comp.push(w)
      } while (w !== v)
      if (comp.length > 1) for (const c of comp) cycleOf.set(c, comp)
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) strong(v)
  return cycleOf
}

const noCycle = {
  meta: { type: 'problem', schema: [], messages: { cycle: "import '{{name}}' is not allowed: Use a dependency that does not lead back to this file instead (cycle: {{cycle}})" } },
  create(context) {
    const file = path.resolve(context.filename)
    if (!rel(file).startsWith('src/')) return {}
    graphCache ??= buildGraph()
    const comp = graphCache.get(file)
    if (!comp) return {}
    const members = new Set(comp)
    return importNodes(null, (node, source) => {
      if (!source.startsWith('.')) return
      if (node.importKind === 'type' || node.exportKind === 'type') return
      const target = path.resolve(path.dirname(file), source.replace(/\.js$/, '.ts'))
      if (!members.has(target)) return
      context.report({
        node,
        messageId: 'cycle',
        data: { name: source, cycle: comp.map((c) => rel(c)).join(' -> ') },
      })
    })
  },
}

// ---- banned globals and calls ------------------------------------------------------------

/** options [{ globals: [{ name, use }] }]: references to undeclared globals. */
const bannedGlobals = {
  meta: { type: 'problem', schema: [{ type: 'object' }], messages: { banned: "global '{{name}}' is not allowed: Use {{use}} instead" } },
  create(context) {
    const bans = new Map((context.options[0]?.globals ?? []).map((g) => [g.name, g.use]))
    return {
      'Program:exit'(node) {
        const scope = context.sourceCode.getScope(node)
        const seen = new Set()
        const visit = (ref) => {
          const name = ref.identifier.name
          if (!bans.has(name) || seen.has(ref.identifier)) return
          seen.add(ref.identifier)
          context.report({ node: ref.identifier, messageId: 'banned', data: { name, use: bans.get(name) } })
        }
        scope.through.forEach(visit)
        // Globals declared in languageOptions resolve to implicit variables without definitions.
        for (const banned of bans.keys()) {
          const v = scope.set.get(banned)
          if (v && v.defs.length === 0) v.references.forEach(visit)
        }
      },
    }
  },
}

/** options [{ calls: [{ callee: 'JSON.parse' | 'parseFloat' | 'Number', use }], unaryPlus?: use }] */
const bannedCalls = {
  meta: { type: 'problem', schema: [{ type: 'object' }], messages: { banned: "'{{name}}' is not allowed: Use {{use}} instead" } },
  create(context) {
    const opts = context.options[0] ?? {}
    const calls = new Map((opts.calls ?? []).map((c) => [c.callee, c.use]))
    const name = (callee) => {
      if (callee.type === 'Identifier') return callee.name
      if (callee.type === 'MemberExpression' && !callee.computed && callee.object.type === 'Identifier') {
        return `${callee.object.name}.${callee.property.name}`
      }
      return null
    }
    const handlers = {
      CallExpression(node) {
        const n = name(node.callee)
        if (n !== null && calls.has(n)) context.report({ node, messageId: 'banned', data: { name: n, use: calls.get(n) } })
      },
    }
    if (opts.unaryPlus) {
      handlers.UnaryExpression = (node) => {
        if (node.operator === '+' && node.argument.type !== 'Literal') {
          context.report({ node, messageId: 'banned', data: { name: 'unary +', use: opts.unaryPlus } })
        }
      }
    }
    return handlers
  },
}

export default {
  meta: { name: 'tickflow' },
  rules: {
    'banned-imports': bannedImports,
    'layer-imports': layerImports,
    'no-cycle': noCycle,
    'banned-globals': bannedGlobals,
    'banned-calls': bannedCalls,
    // the same check under its own name, so decode/order paths and hot paths can each have a list
    'no-float-parse': bannedCalls,
  },
}
