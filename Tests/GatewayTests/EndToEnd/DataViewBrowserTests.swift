import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// The dashboard's data view in a real browser: rows written through the notes sample, a
/// counter in the cache and the todos' `ctx.state`, and a reset that asks first and takes effect.
@Suite(.onOwnThreads, .serialized, .enabled(if: HeadlessChromium.executable != nil, "needs chromium on PATH"))
struct DataViewBrowserTests {
    @Test func theDataViewShowsWhatHandlersStoredAndResetsAnItem() async throws {
        let test = try TestProject(samples: ["notes", "todos", "views", "_migrations"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        #expect(try serve.request("POST", "/notes", body: #"{"title": "buy <milk>"}"#).status == 201)
        #expect(try serve.request("POST", "/todos", body: #"{"title": "kept"}"#).status == 201)
        #expect(try serve.request("GET", "/views/home").status == 200)
        // A key made to break out of an attribute: a quote with a combining mark after it.
        #expect(try serve.request("GET", "/views/%22%CC%81%20data-injected%3D1%20x%3D%22").status == 200)

        let browser = try HeadlessChromium()
        let tab = try browser.open("http://127.0.0.1:\(port)/_edge/")
        #expect(
            try await browser.waitFor("document.getElementById('live').textContent", toBe: "live", session: tab)
                == "live")
        let data = "document.getElementById('data').textContent"
        for text in ["database main", "notes", "1 row", "buy <milk>", "page:home", "ctx.state", "kept"] {
            #expect(
                try browser.evaluate("\(data).includes(\(JSONValue.string(text).serialized))", session: tab)
                    == .bool(true), "\(text) in the data view")
        }
        // Shown as text, not markup, in content and in attributes.
        #expect(try browser.evaluate("document.querySelector('#data milk') === null", session: tab) == .bool(true))
        #expect(try browser.evaluate("document.querySelector('[data-injected]') === null", session: tab) == .bool(true))
        #expect(try browser.evaluate("\(data).includes('data-injected')", session: tab) == .bool(true))
        try browser.screenshot(
            session: tab, to: FilePath.join(TestProject.repositoryRoot, ".build/test-artifacts/data-view.png"))

        // Reset asks first (the question names the item); accepted, the value is gone.
        let button = "document.querySelector('#state-todos-todos button')"
        let question = try browser.evaluate("\(button).getAttribute('data-confirm')", session: tab)
        #expect(question == "Reset todos's ctx.state key todos? The value is deleted.")
        _ = try browser.evaluate("window.confirm = function(q) { window.asked = q; return true; }", session: tab)
        _ = try browser.evaluate("\(button).click()", session: tab)
        let gone = try await browser.waitFor(
            "document.getElementById('state-todos-todos') === null", toBe: .bool(true), session: tab)
        #expect(gone == .bool(true))
        #expect(try browser.evaluate("window.asked", session: tab) == question)
        #expect(try serve.request("GET", "/todos").text == "[]")

        // Declined: nothing happens.
        _ = try browser.evaluate(
            "window.confirm = function(q) { window.declined = q; return false; }", session: tab)
        _ = try browser.evaluate("document.querySelector('#database-main button').click()", session: tab)
        #expect(try browser.evaluate("window.declined", session: tab) != .null, "the reset asked")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try serve.request("GET", "/notes").text.contains("buy <milk>"))
    }
}
