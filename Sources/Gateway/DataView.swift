import EdgeSystem

/// The dashboard's "Data" section, from the `/_edge/data` document: each database with its
/// tables' row counts and first rows, cache keys with their time to live, stored objects with
/// their sizes, and each endpoint's `ctx.state`, every item with a reset that asks first.
enum DataView: StatusPage {
    static func html(_ data: JSONValue) -> String {
        var html = "<section class=\"data\" id=\"data\"><h2>Data <span class=\"muted\">(.edge/data)</span></h2>"
        html += "<p id=\"data-result\" class=\"muted\"></p>"
        var empty = true
        if case .array(let databases) = data["databases"] {
            for database in databases {
                empty = false
                let name = text(database["name"])
                html += "<h3 id=\"database-\(e(name))\">database <b>\(e(name))</b> <span class=\"muted\">"
                html += "\(kib(database["bytes"])), \(count(database["migrationsApplied"], "migration"))</span>"
                html += button(
                    ["kind": "database", "name": name],
                    "Reset database \(name)? All its rows are deleted and its migrations applied again.")
                html += "</h3>"
                if case .string(let error)? = database["migrationError"] {
                    html += "<p class=\"bad\">\(e(error))</p>"
                }
                guard case .array(let tables)? = database["tables"] else { continue }
                for table in tables {
                    let columns = strings(table["columns"])
                    html +=
                        "<p><code>\(e(text(table["name"])))</code> <span class=\"muted\">\(count(table["rows"], "row"))</span></p>"
                    guard case .array(let rows)? = table["firstRows"], !rows.isEmpty else { continue }
                    html += "<table><thead><tr>" + columns.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>"
                    for row in rows {
                        guard case .array(let values) = row else { continue }
                        html += "<tr>" + values.map { "<td>\(e(cell($0)))</td>" }.joined() + "</tr>"
                    }
                    html += "</tbody></table>"
                }
            }
        }
        if case .array(let entries) = data["cache"], !entries.isEmpty {
            empty = false
            html +=
                "<h3>cache</h3><table><thead><tr><th>Cache</th><th>Key</th><th>Expires in</th><th>Size</th><th></th></tr></thead><tbody>"
            for entry in entries {
                let cache = text(entry["cache"])
                let key = text(entry["key"])
                let ttl = entry["ttlSeconds"] == .null ? "never" : "\(number(entry["ttlSeconds"])) s"
                html +=
                    "<tr><td>\(e(cache))</td><td>\(e(key))</td><td>\(ttl)</td><td>\(number(entry["bytes"])) B</td><td>"
                html += button(["kind": "cache", "name": cache, "key": key], "Remove \(key) from cache \(cache)?")
                html += "</td></tr>"
            }
            html += "</tbody></table>"
        }
        if case .array(let objects) = data["storage"], !objects.isEmpty {
            empty = false
            html +=
                "<h3>storage</h3><table><thead><tr><th>Store</th><th>Key</th><th>Size</th><th>Type</th><th></th></tr></thead><tbody>"
            for object in objects {
                let store = text(object["store"])
                let key = text(object["key"])
                html += "<tr><td>\(e(store))</td><td>\(e(key))</td><td>\(number(object["bytes"])) B</td>"
                html += "<td>\(e(text(object["contentType"])))</td><td>"
                html += button(["kind": "storage", "name": store, "key": key], "Delete \(key) from storage \(store)?")
                html += "</td></tr>"
            }
            html += "</tbody></table>"
        }
        if case .array(let values) = data["state"], !values.isEmpty {
            empty = false
            html +=
                "<h3>ctx.state</h3><table><thead><tr><th>Endpoint</th><th>Key</th><th>Value</th><th></th></tr></thead><tbody>"
            for value in values {
                let endpoint = text(value["endpoint"])
                let key = text(value["key"])
                let shown = text(value["value"])
                html += "<tr id=\"state-\(e(endpoint))-\(e(key))\"><td>\(e(endpoint))</td><td>\(e(key))</td>"
                html += "<td>\(e(shown.count > 300 ? String(shown.prefix(300)) + "…" : shown))</td><td>"
                html += button(
                    ["kind": "state", "name": endpoint, "key": key],
                    "Reset \(endpoint)'s ctx.state key \(key)? The value is deleted.")
                html += "</td></tr>"
            }
            html += "</tbody></table>"
        }
        if empty {
            html +=
                "<p class=\"muted\">Nothing stored yet: ctx.database, ctx.cache, ctx.storage and ctx.state keep their data here.</p>"
        }
        return html + "</section>"
    }

    private static func button(_ request: [String: String], _ question: String) -> String {
        let body = JSONValue.object(request.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).serialized
        return "<button data-reset=\"\(e(body))\" data-confirm=\"\(e(question))\">reset</button>"
    }

    private static func e(_ text: String) -> String { ErrorPage.escape(text) }

    private static func count(_ value: JSONValue?, _ noun: String) -> String {
        let shown = number(value)
        return "\(shown) \(noun)\(shown == "1" ? "" : "s")"
    }

    private static func kib(_ value: JSONValue?) -> String {
        guard case .number(let bytes)? = value else { return "0 KiB" }
        return "\(Int((bytes / 1024).rounded(.up))) KiB"
    }

    private static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: "NULL"
        case .string(let text): text
        default: value.serialized
        }
    }
}
