// Test client: sends events with the official Node.js SDK (posthog-node), as an application would.
// Usage: node capture_with_posthog_node.js HOST PROJECT_TOKEN < request.json
//   request: {"options": {...posthog-node options, e.g. flushAt, flushInterval}?,
//             "events": [{"distinctId", "event", "properties"?, "uuid"?, "timestamp"?, "ai"?: bool}]}
//   An event with "ai": true goes through client.captureAi (the SDK's AI lane), the rest through
//   client.capture. All are flushed by client.shutdown().
// Prints one JSON line: {"requests": [{"path", "contentEncoding", "contentType", "status", "events"}]},
// what the SDK sent (the fetch it makes is observed, not replaced). Exits 1, with the messages on
// stderr, if the SDK reports any error (its 'error' events, a failed request, a throw).
'use strict'
const zlib = require('zlib')
const { PostHog } = require('posthog-node')

async function readStdin() {
    const chunks = []
    for await (const chunk of process.stdin) chunks.push(chunk)
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

// The JSON a request carried, inflated if the SDK gzipped it.
function sentJSON(body, encoding) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
    return JSON.parse((encoding === 'gzip' ? zlib.gunzipSync(bytes) : bytes).toString('utf8'))
}

async function bodyBytes(body) {
    if (body === undefined || body === null || typeof body === 'string') return body ?? ''
    if (body instanceof Blob) return Buffer.from(await body.arrayBuffer())
    return Buffer.from(ArrayBuffer.isView(body) ? body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) : body)
}

async function main() {
    const [host, token] = process.argv.slice(2)
    if (!host || !token) throw new Error('usage: capture_with_posthog_node.js HOST PROJECT_TOKEN < request.json')
    const request = await readStdin()
    const errors = []
    const requests = []

    const observedFetch = async (url, options) => {
        const headers = new Headers(options.headers)
        const body = await bodyBytes(options.body)
        const response = await fetch(url, { ...options, body })
        const sent = { path: new URL(url).pathname, contentEncoding: headers.get('content-encoding'),
                       contentType: headers.get('content-type'), status: response.status }
        try {
            const json = sentJSON(body, sent.contentEncoding)
            sent.events = (json.batch || []).map((e) => ({ uuid: e.uuid, event: e.event, distinct_id: e.distinct_id }))
        } catch (err) {
            errors.push(`could not read back what was sent to ${sent.path}: ${err}`)
        }
        if (response.status >= 300) errors.push(`${sent.path} answered ${response.status}: ${await response.clone().text()}`)
        requests.push(sent)
        return response
    }

    const client = new PostHog(token, { host, fetch: observedFetch, ...request.options })
    client.on('error', (err) => errors.push(`posthog-node error: ${err && (err.stack || err.message || err)}`))
    for (const event of request.events) {
        const { ai, ...props } = event
        if (props.timestamp) props.timestamp = new Date(props.timestamp)
        if (ai) client.captureAi(props)
        else client.capture(props)
    }
    await client.shutdown()

    process.stdout.write(JSON.stringify({ requests }) + '\n')
    if (errors.length) {
        process.stderr.write(errors.join('\n') + '\n')
        process.exitCode = 1
    }
}

main().catch((err) => {
    process.stderr.write(`capture_with_posthog_node.js: ${err && (err.stack || err)}\n`)
    process.exitCode = 1
})
