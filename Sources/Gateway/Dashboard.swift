import EdgeSystem
import HandlerBuild

/// The page at `/_edge/`: every endpoint with its route, state, version, last build, requests,
/// crashes and current compile errors (with the source line), rendered on the server so it reads
/// with JavaScript off; with JavaScript on it follows `/_edge/events` and re-renders its endpoint
/// section from `/_edge/fragment` after each event, without reloading.
///
/// Self-contained: no external assets, so it works offline and behind any proxy.
enum Dashboard: StatusPage {
    static func page(status: JSONValue, data: JSONValue, project: Project) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>edge-dev</title><style>\(style)</style></head><body>
        <header><h1>edge-dev</h1><span id="live" class="badge">live updates need JavaScript</span>
        <span class="muted">\(ErrorPage.escape(project.handlersDirectory))</span></header>
        <main><section id="endpoints">\(fragment(status: status, data: data, project: project))</section>
        <section id="requests-view"><h2>Requests</h2><div class="requests"><table id="requests"><thead><tr><th>#</th>\
        <th>Request</th><th>Status</th><th>Endpoint</th><th>ms</th></tr></thead><tbody></tbody></table>\
        <div id="request-detail" class="muted">Pick a request to see its headers and bodies, and replay it on any kept version.</div></div></section>
        <section><h2>Events</h2><ul id="events" class="events"><li class="muted">Events appear here as they happen.</li></ul></section>
        </main><script>\(script)</script></body></html>
        """
    }

    /// The endpoint section alone, as `/_edge/fragment` serves it.
    static func fragment(status: JSONValue, data: JSONValue, project: Project) -> String {
        var html = ""
        let stats = status["stats"]
        html +=
            "<p class=\"summary\">\(number(stats?["loadedCount"])) serving, \(number(stats?["drainingCount"])) draining, "
        html += "\(number(stats?["activeRequests"])) requests in flight"
        if let restarts = status["gateway"]?["restarts"], number(restarts) != "0" {
            html += ", gateway restarted \(number(restarts)) times"
        }
        html += "</p>"
        guard case .array(let endpoints) = status["endpoints"], !endpoints.isEmpty else {
            return html + "<p class=\"muted\">No endpoints yet: add a folder under handlers/ with a src/ folder.</p>"
        }
        html += """
            <table><thead><tr><th>Endpoint</th><th>Route</th><th>State</th><th>Version</th>\
            <th>Last build</th><th>Active</th><th>Draining</th><th>Crashes</th><th>Examples</th></tr></thead><tbody>
            """
        var problems = ""
        for endpoint in endpoints {
            let id = text(endpoint["id"])
            let state = text(endpoint["state"])
            let methods = strings(endpoint["methods"]).joined(separator: " ")
            let paths = strings(endpoint["paths"]).map(ErrorPage.escape).joined(separator: "<br>")
            let build = endpoint["lastBuild"]
            var buildCell = "<span class=\"muted\">building…</span>"
            if let build, build != .null {
                let ok = build["ok"] == .bool(true)
                let at = text(build["time"]).dropFirst(11).prefix(8)
                buildCell =
                    "<span class=\"\(ok ? "ok" : "bad")\">\(ok ? "built" : "failed")</span> in \(number(build["durationMs"])) ms"
                    + (at.isEmpty ? "" : " <span class=\"muted\">at \(at) UTC</span>")
                if build["reused"] == .bool(true) {
                    buildCell =
                        "<span class=\"ok\">reused</span> <span class=\"muted\">(sources unchanged since an earlier run)</span>"
                }
            }
            html += """
                <tr id="endpoint-\(ErrorPage.escape(id))" data-state="\(state)"><td><b>\(ErrorPage.escape(id))</b></td>\
                <td><code>\(ErrorPage.escape(methods))</code> \(paths)</td>\
                <td><span class="state \(state)">\(state)</span></td><td class="version">\(endpoint["version"] == .null ? "–" : "v" + number(endpoint["version"]))</td>\
                <td>\(buildCell)</td><td>\(number(endpoint["activeRequests"]))</td><td>\(number(endpoint["drainingRequests"]))</td>\
                <td>\(number(endpoint["crashes"]))</td><td class="examples">\(examplesCell(endpoint["examples"]))</td></tr>
                """
            problems += details(id: id, endpoint: endpoint, project: project)
        }
        html += "</tbody></table>"
        html += libraries(status, &problems, project: project)
        if !problems.isEmpty { html += "<h2>Problems</h2>" + problems }
        if case .array(let keys) = status["configuration"]?["keys"], !keys.isEmpty {
            // Key names only: values never leave the handlers.
            let names = keys.map { ErrorPage.escape(text($0)) }.joined(separator: ", ")
            html +=
                "<p class=\"muted\">Configuration keys (from \(ErrorPage.escape(strings(status["configuration"]?["files"]).joined(separator: ", ")))): \(names)</p>"
        }
        return html + DataView.html(data)
    }

    /// The shared modules under `handlers/_lib/`, with their state and who imports them; a
    /// module's compile errors go with the endpoints' problems.
    private static func libraries(_ status: JSONValue, _ problems: inout String, project: Project) -> String {
        guard case .array(let libraries) = status["libraries"], !libraries.isEmpty else { return "" }
        var html = """
            <h2>Shared modules</h2><table><thead><tr><th>Module</th><th>State</th><th>Version</th>\
            <th>Imported by</th></tr></thead><tbody>
            """
        for library in libraries {
            let id = text(library["id"])
            let state = text(library["state"])
            let version = library["version"] == .null ? "–" : "v" + number(library["version"])
            let dependents = strings(library["dependents"]).map(ErrorPage.escape).joined(separator: ", ")
            html += """
                <tr id="library-\(ErrorPage.escape(id))" data-state="\(state)"><td><b>\(ErrorPage.escape(id))</b></td>\
                <td><span class="state \(state)">\(state)</span></td><td>\(version)</td>\
                <td>\(dependents.isEmpty ? "<span class=\"muted\">no endpoint</span>" : dependents)</td></tr>
                """
            if state == "error", case .array(let diagnostics) = library["lastBuild"]?["diagnostics"] {
                problems += "<h3>_lib/\(ErrorPage.escape(id))</h3>"
                for diagnostic in diagnostics { problems += diagnosticHTML(diagnostic, project: project) }
            }
        }
        return html + "</tbody></table>"
    }

    /// The last example run: `2/2 pass on v5`, or the first failure.
    private static func examplesCell(_ examples: JSONValue?) -> String {
        guard let examples, examples != .null else { return "<span class=\"muted\">–</span>" }
        let summary =
            "\(number(examples["passed"]))/\(number(examples["total"])) pass on v\(number(examples["version"]))"
        if case .string(let failure)? = examples["failure"] {
            return "<span class=\"bad\">\(summary)</span><br><span class=\"muted\">\(ErrorPage.escape(failure))</span>"
        }
        return "<span class=\"ok\">\(summary)</span>"
    }

    /// Compile errors (with the source line and a caret), a route error, the last crash.
    private static func details(id: String, endpoint: JSONValue, project: Project) -> String {
        var html = ""
        if case .array(let diagnostics) = endpoint["lastBuild"]?["diagnostics"],
            endpoint["lastBuild"]?["ok"] == .bool(false)
        {
            for diagnostic in diagnostics where diagnostic["severity"] == "error" {
                html += diagnosticHTML(diagnostic, project: project)
            }
        }
        if let route = endpoint["routeError"], route != .null { html += diagnosticHTML(route, project: project) }
        if let crash = endpoint["lastCrash"], crash != .null {
            let place = crash["location"].flatMap { $0 == .null ? nil : " at " + text($0) } ?? ""
            html +=
                "<div class=\"diag\"><div class=\"place\">last crash (v\(number(crash["version"])), \(ErrorPage.escape(text(crash["time"]))))\(ErrorPage.escape(place))</div>"
            html += "<pre>\(ErrorPage.escape(text(crash["message"])))</pre></div>"
        }
        guard !html.isEmpty else { return "" }
        return
            "<article class=\"problem\" data-endpoint=\"\(ErrorPage.escape(id))\"><h3>\(ErrorPage.escape(id))</h3>\(html)</article>"
    }

    private static func diagnosticHTML(_ diagnostic: JSONValue, project: Project) -> String {
        let file = text(diagnostic["file"])
        var place = file
        if case .number(let line) = diagnostic["line"] {
            place += ":\(Int(line))"
            if case .number(let column) = diagnostic["column"] { place += ":\(Int(column))" }
        }
        var html =
            "<div class=\"diag\"><div class=\"place\">\(ErrorPage.escape(place)): \(ErrorPage.escape(text(diagnostic["message"])))</div>"
        var line: Int?
        var column: Int?
        if case .number(let number) = diagnostic["line"] { line = Int(number) }
        if case .number(let number) = diagnostic["column"] { column = Int(number) }
        html += ErrorPage.sourceExcerpt(file: file, line: line, column: column, project: project)
        return html + "</div>"
    }

    private static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
        header{display:flex;gap:1em;align-items:baseline;padding:.8em 1.5em;background:#1d1d1f;color:#fff}
        header h1{font-size:1.2em;margin:0}main{padding:1em 1.5em}h2{font-size:1.05em;margin:1.4em 0 .5em}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.45em .7em;border-bottom:1px solid #e5e5e5;vertical-align:top}
        th{font-weight:600;color:#555;font-size:.9em}code{font-size:.92em}.muted{color:#888}
        .badge{font-size:.8em;padding:.1em .6em;border-radius:1em;background:#555}.badge.on{background:#1a7f37}.badge.off{background:#b35900}
        .state{padding:.1em .5em;border-radius:.3em;font-size:.9em}.loaded{background:#dafbe1}.draining{background:#fff1c2}
        .error{background:#ffd7d5}.created,.compiled{background:#eee}.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}
        .problem{background:#fff;border:1px solid #f0c4c4;border-radius:.4em;padding:.2em 1em;margin:.6em 0}.problem h3{font-size:1em}
        .diag{margin:.6em 0}.place{font-weight:600;color:#b00}pre{background:#f6f6f6;padding:.5em;overflow:auto;margin:.3em 0}
        .events{font:12px/1.5 ui-monospace,monospace;list-style:none;padding-left:0;max-height:20em;overflow:auto}
        .data h3{font-size:1em;margin:1em 0 .3em}.data td{font:12px/1.4 ui-monospace,monospace}
        .requests{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1em}#requests tbody tr{cursor:pointer}
        #requests tr.picked{background:#eef4ff}#request-detail pre{max-height:18em}.diff .add{color:#1a7f37}.diff .del{color:#cf222e}
        #request-detail button{margin:.2em .4em .2em 0}
        button[data-reset]{font-size:.8em;margin-left:.6em;border:1px solid #cf222e;color:#cf222e;background:#fff;border-radius:.3em;cursor:pointer}
        """

    private static let script = """
        (function(){
          var live=document.getElementById('live'),list=document.getElementById('events'),pending=null,first=true;
          if(!window.EventSource){return;}
          function refresh(){clearTimeout(pending);pending=setTimeout(function(){
            fetch('/_edge/fragment',{cache:'no-store'}).then(function(r){return r.text();})
              .then(function(html){document.getElementById('endpoints').innerHTML=html;});},40);}
          function describe(e){var t=e.type,s=e.endpoint?e.endpoint+': ':'';
            if(t==='build-succeeded')return s+'v'+e.version+' built in '+e.durationMs+' ms';
            if(t==='swapped')return s+'swapped v'+e.from+' → v'+e.to+(e.draining?' ('+e.draining+' draining)':'');
            if(t==='build-failed'){var n=e.diagnostics.filter(function(d){return d.severity==='error';}).length;
              return s+'build failed ('+n+(n===1?' error)':' errors)')+(e.serving?', v'+e.serving+' keeps serving':'');}
            if(t==='build-started')return s+'building…';
            if(t==='retired'||t==='drained')return s+'v'+e.version+' '+(t==='drained'?'drained':'retired')+' ('+e.reason+')';
            if(t==='crashed')return s+'v'+e.version+' crashed: '+e.message;
            if(t==='log')return e.line;
            return s+t+(e.version?' v'+e.version:'');}
          document.addEventListener('click',function(ev){var b=ev.target.closest('button[data-reset]');if(!b)return;
            if(!window.confirm(b.getAttribute('data-confirm')))return;
            fetch('/_edge/data/reset',{method:'POST',headers:{'Content-Type':'application/json'},body:b.getAttribute('data-reset')})
              .then(function(r){return r.json();}).then(function(j){var d=document.getElementById('data-result');
                if(d)d.textContent=j.reset||j.message||'';refresh();});});
          var rows=document.querySelector('#requests tbody'),detail=document.getElementById('request-detail');
          function esc(t){return String(t).replace(/[&<>"']/g,function(c){return '&#'+c.charCodeAt(0)+';';});}
          function pretty(b){if(!b)return '';var t=b.text!==undefined?b.text:'(base64) '+b.base64;
            try{t=JSON.stringify(JSON.parse(t),null,2);}catch(e){}return t+(b.truncated?'\\n… truncated ('+b.size+' bytes received)':'');}
          function loadRequests(){fetch('/_edge/requests?limit=100',{cache:'no-store'}).then(function(r){return r.json();})
            .then(function(j){rows.innerHTML=j.requests.map(function(q){return '<tr data-id="'+q.id+'"><td>'+q.id+'</td><td><code>'
              +esc(q.method+' '+q.target)+'</code></td><td>'+q.status+(q.failure?' <span class="bad">'+esc(q.failure)+'</span>':'')
              +'</td><td>'+esc(q.endpoint)+' v'+q.version+'</td><td>'+q.durationMs+'</td></tr>';}).join('');}).catch(function(){});}
          function showDiff(j){var d=j.diff,h='<h3>replayed on v'+j.replayed.version+': '+j.replayed.status+' (recorded v'+j.original.version+': '+j.original.status+')</h3>';
            if(d.same){h+='<p class="ok">same status, headers and body</p>';}else{h+='<pre class="diff">';
              (d.headers||[]).forEach(function(x){h+='<span class="del">- '+esc(x.name+': '+x.original)+'</span>\\n<span class="add">+ '+esc(x.name+': '+x.replayed)+'</span>\\n';});
              if(d.body&&d.body.changes)d.body.changes.forEach(function(c){h+=esc(c.path)+': <span class="del">'+esc(JSON.stringify(c.original))+'</span> → <span class="add">'+esc(JSON.stringify(c.replayed))+'</span>\\n';});
              if(d.body&&d.body.lines)d.body.lines.forEach(function(l){h+='<span class="'+(l[0]==='+'?'add':l[0]==='-'?'del':'')+'">'+esc(l)+'</span>\\n';});
              h+='</pre>';}
            document.getElementById('replay-result').innerHTML=h;}
          function showRequest(id){fetch('/_edge/requests/'+id,{cache:'no-store'}).then(function(r){return r.json();}).then(function(q){
            var h='<h3>#'+q.id+' <code>'+esc(q.method+' '+q.target)+'</code> → '+q.status+' in '+q.durationMs+' ms, '+esc(q.endpoint)+' v'+q.version+'</h3>';
            h+='<div>'+(q.keptVersions||[]).map(function(v){return '<button data-replay="'+v+'">replay on v'+v+'</button>';}).join('')
              +'<button data-save="1">save as example</button></div><div id="replay-result"></div>';
            h+='<b>Request headers</b><pre>'+esc(q.headers.map(function(f){return f.name+': '+f.value;}).join('\\n'))+'</pre>';
            h+='<b>Request body</b><pre>'+esc(pretty(q.body))+'</pre><b>Response headers</b><pre>'
              +esc(q.responseHeaders.map(function(f){return f.name+': '+f.value;}).join('\\n'))+'</pre><b>Response body</b><pre>'+esc(pretty(q.responseBody))+'</pre>';
            detail.className='';detail.innerHTML=h;detail.setAttribute('data-id',q.id);detail.setAttribute('data-method',q.method);});}
          rows.addEventListener('click',function(ev){var tr=ev.target.closest('tr[data-id]');if(!tr)return;
            Array.prototype.forEach.call(rows.children,function(r){r.className='';});tr.className='picked';showRequest(tr.getAttribute('data-id'));});
          detail.addEventListener('click',function(ev){var id=detail.getAttribute('data-id'),m=detail.getAttribute('data-method');
            var b=ev.target.closest('button[data-replay]');
            if(b){if(['GET','HEAD','OPTIONS'].indexOf(m)<0&&!window.confirm('Replay '+m+' on v'+b.getAttribute('data-replay')+'? It runs the handler again, with its side effects.'))return;
              fetch('/_edge/requests/'+id+'/replay',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({version:+b.getAttribute('data-replay')})})
                .then(function(r){return r.json();}).then(function(j){if(j.diff)showDiff(j);else document.getElementById('replay-result').textContent=j.message||'';});return;}
            if(ev.target.closest('button[data-save]')){fetch('/_edge/requests/'+id+'/example',{method:'POST',headers:{'Content-Type':'application/json'},body:'{}'})
              .then(function(r){return r.json();}).then(function(j){document.getElementById('replay-result').textContent=j.saved?'saved '+j.saved:(j.message||'');});}});
          loadRequests();
          var source=new EventSource('/_edge/events');
          source.onopen=function(){live.textContent='live';live.className='badge on';};
          source.onerror=function(){live.textContent='reconnecting…';live.className='badge off';};
          source.onmessage=function(m){var e=JSON.parse(m.data);
            if(e.type==='snapshot'){if(!first)refresh();first=false;return;}
            if(e.type==='request'){clearTimeout(window.requestsTimer);window.requestsTimer=setTimeout(loadRequests,100);return;}
            if(list.firstElementChild&&list.firstElementChild.className==='muted')list.innerHTML='';
            var item=document.createElement('li');item.className='event '+e.type;
            item.textContent=(e.time||'').slice(11,19)+'  '+describe(e);list.insertBefore(item,list.firstChild);
            while(list.children.length>100)list.removeChild(list.lastChild);
            refresh();};
        })();
        """
}
