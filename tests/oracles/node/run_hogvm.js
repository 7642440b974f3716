// Test oracle: runs bytecode on PostHog's TypeScript HogVM (@posthog/hogvm).
// Protocol: one JSON request per stdin line, one JSON reply per stdout line.
//   request: {"bytecode": [...], "globals": {...}?, "timeout": ms?, "memoryLimit": bytes?}
//   reply:   {"ok": bool, "result": <JSON>, "printed": <printHogValue(result)>, "stdout": [lines],
//             "error": "message"?, "errorType": "HogVMException"|...}
'use strict'
const readline = require('readline')
const hogvm = require('@posthog/hogvm')

// RE2 and JavaScript share the syntax our tests use; RE2's leading inline flags become JS flags.
function toRegExp(pattern) {
    let flags = ''
    const m = /^\(\?([a-z]+)\)/.exec(pattern)
    if (m) {
        flags = m[1].replace(/[^ims]/g, '')
        pattern = pattern.slice(m[0].length)
    }
    return new RegExp(pattern, flags)
}
const external = {
    regex: {
        match: (re, s) => toRegExp(re).test(s),
        extract: (re, s) => {
            const m = toRegExp(re).exec(s)
            if (!m) return ''
            return m.length > 1 ? (m[1] ?? '') : m[0]
        },
    },
}

function toJSON(value, seen = new Set()) {
    if (value === null || value === undefined) return null
    if (typeof value === 'number') {
        if (Number.isFinite(value)) return value
        return { __nonFinite__: String(value) }
    }
    if (typeof value !== 'object') return value
    if (seen.has(value)) return null
    seen.add(value)
    let out
    if (value instanceof Map) {
        out = {}
        for (const [k, v] of value) out[String(k)] = toJSON(v, seen)
    } else if (Array.isArray(value)) {
        out = value.map((v) => toJSON(v, seen))
    } else {
        out = {}
        for (const k of Object.keys(value)) out[k] = toJSON(value[k], seen)
    }
    seen.delete(value)
    return out
}

const lines = []
console.log = (...args) => lines.push(args.join(' '))
const write = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
    if (!line.trim()) return
    lines.length = 0
    let req
    try {
        req = JSON.parse(line)
    } catch (e) {
        write({ ok: false, error: 'bad request: ' + e.message, errorType: 'Protocol', stdout: [] })
        return
    }
    const options = { globals: req.globals || {}, external, timeout: req.timeout ?? 5000 }
    if (req.memoryLimit) options.memoryLimit = req.memoryLimit
    let res
    try {
        res = hogvm.exec(req.bytecode, options)
    } catch (e) {
        write({ ok: false, error: String(e && e.message), errorType: (e && e.name) || 'Error', stdout: [...lines] })
        return
    }
    if (res.error) {
        const err = res.error
        write({
            ok: false,
            error: String(err.message ?? err),
            errorType: err.name || 'Error',
            stdout: [...lines],
        })
        return
    }
    let printed = null
    try {
        printed = hogvm.printHogValue(res.result)
    } catch (e) {
        printed = null
    }
    write({ ok: true, result: toJSON(res.result), printed, stdout: [...lines] })
})
