import EdgeSDK

/// Browser live-reload: HTML from a handler gets a small script that listens to
/// `/_edge/events`, reloads the page once its endpoint has a new version, and shows the compile
/// errors over the page while its build is failing (the reload after the fix removes them).
enum LiveReload {
    /// `response` with the script added, when it is an HTML page; otherwise unchanged.
    static func inject(into response: Response, endpoint: String) -> Response {
        guard isHTML(response) else { return response }
        var response = response
        let script = Array(script(endpoint: endpoint).utf8)
        if let end = lastRange(of: Array("</body>".utf8), in: response.body) {
            response.body.insert(contentsOf: script, at: end)
        } else {
            response.body.append(contentsOf: script)
        }
        return response
    }

    /// Whether `response` is an HTML page; checked on every response, so without allocating.
    static func isHTML(_ response: Response) -> Bool {
        guard let type = response.headers["Content-Type"] else { return false }
        let prefix = "text/html".utf8
        var bytes = type.utf8.makeIterator()
        for expected in prefix {
            guard let byte = bytes.next(), byte | 0x20 == expected | 0x20 else { return false }
        }
        return true
    }

    static func script(endpoint: String) -> String {
        let id = JSONValue.string(endpoint).serialized
        return """
            <script data-edge-dev="live-reload">(function(){if(!window.EventSource)return;
            var id=\(id),box=null,source=new EventSource('/_edge/events');
            function hide(){if(box){box.remove();box=null;}}
            function show(diagnostics){hide();box=document.createElement('div');box.id='edge-dev-overlay';
            box.setAttribute('style','position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,20,.92);color:#fff;padding:2em;overflow:auto;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap');
            var text='edge-dev: '+id+' failed to build; save a fix and this page reloads.\\n\\n';
            diagnostics.forEach(function(d){if(d.severity!=='error')return;
            text+=(d.file||'')+(d.line?':'+d.line+(d.column?':'+d.column:''):'')+': error: '+d.message+'\\n';});
            box.textContent=text;document.body.appendChild(box);}
            source.onmessage=function(m){var e=JSON.parse(m.data);if(e.endpoint!==id)return;
            if(e.type==='swapped'||e.type==='build-succeeded')location.reload();
            else if(e.type==='build-failed')show(e.diagnostics);};})();</script>
            """
    }

    private static func lastRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.count - needle.count
        while index >= 0 {
            var matches = true
            for offset in 0..<needle.count where haystack[index + offset] | 0x20 != needle[offset] | 0x20 {
                matches = false
                break
            }
            if matches { return index }
            index -= 1
        }
        return nil
    }
}
