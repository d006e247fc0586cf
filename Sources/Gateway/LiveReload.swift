import EdgeSDK
import EdgeSystem

/// Browser live-reload: HTML from a handler gets a small script that listens to
/// `/_edge/events`, reloads the page once its endpoint has a new version, and shows the compile
/// errors over the page while its build is failing (the reload after the fix removes them).
enum LiveReload {
    /// `response` with the script added, when it is an HTML page (and not compressed: the
    /// script could not be added to gzip); otherwise unchanged. `version` is the version that
    /// made the page, 0 for edge-dev's own page of compile errors.
    static func inject(into response: Response, endpoint: String, version: Int) -> Response {
        guard isHTML(response), response.headers["Content-Encoding"] == nil else { return response }
        var response = response
        let script = Array(script(endpoint: endpoint, version: version).utf8)
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

    /// The page reloads when its endpoint has a version newer than the one that made it: from an
    /// event, or from the snapshot that opens the stream (a build that finished while the page
    /// loaded is not missed, and one the page already shows does not reload it again).
    static func script(endpoint: String, version: Int) -> String {
        let id = JSONValue.string(endpoint).serialized
        return """
            <script data-edge-dev="live-reload">(function(){if(!window.EventSource)return;
            var id=\(id),served=\(version),box=null,source=new EventSource('/_edge/events');
            function newer(v){return typeof v==='number'&&v>served;}
            function hide(){if(box){box.remove();box=null;}}
            function show(diagnostics){hide();box=document.createElement('div');box.id='edge-dev-overlay';
            box.setAttribute('style','position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,20,.92);color:#fff;padding:2em;overflow:auto;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap');
            var text='edge-dev: '+id+' failed to build; save a fix and this page reloads.\\n\\n';
            (diagnostics||[]).forEach(function(d){if(d.severity!=='error')return;
            text+=(d.file||'')+(d.line?':'+d.line+(d.column?':'+d.column:''):'')+': error: '+d.message+'\\n';});
            box.textContent=text;document.body.appendChild(box);}
            source.onmessage=function(m){var e=JSON.parse(m.data);
            if(e.type==='snapshot'){((e.status&&e.status.endpoints)||[]).forEach(function(x){if(x.id!==id)return;
            if(newer(x.version))location.reload();
            else if(served>0&&x.lastBuild&&x.lastBuild.ok===false)show(x.lastBuild.diagnostics);});return;}
            if(e.endpoint!==id)return;
            if((e.type==='swapped'&&newer(e.to))||(e.type==='build-succeeded'&&newer(e.version)))location.reload();
            else if(e.type==='build-failed')show(e.diagnostics);};
            window.addEventListener('pagehide',function(){source.close();});})();</script>
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
