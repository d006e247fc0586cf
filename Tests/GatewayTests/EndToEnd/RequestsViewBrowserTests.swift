import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// The dashboard's Requests view in a real browser: the list follows requests as they come, the
/// detail pane shows a request, replay on a kept version shows the diff, and a replay of a
/// request with side effects asks first.
@Suite(.onOwnThreads, .serialized, .enabled(if: HeadlessChromium.executable != nil, "needs chromium on PATH"))
struct RequestsViewBrowserTests {
    @Test func theRequestsViewListsReplaysAndDiffs() async throws {
        let test = try TestProject(samples: ["hello", "echo"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        let browser = try HeadlessChromium()
        let tab = try browser.open("http://127.0.0.1:\(port)/_edge/")
        #expect(
            try await browser.waitFor("document.getElementById('live').textContent", toBe: "live", session: tab)
                == "live")

        #expect(try serve.request("GET", "/hello").status == 200)
        let listed = try await browser.waitFor(
            "document.querySelector('#requests tbody').textContent.includes('GET /hello')", toBe: .bool(true),
            session: tab)
        #expect(listed == .bool(true))

        try test.write("hello", "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"changed\") }\n")
        try await serve.waitFor("hello: v2 built")
        _ = try browser.evaluate("document.querySelector('#requests tbody tr[data-id]').click()", session: tab)
        let buttons = try await browser.waitFor(
            "document.querySelectorAll('#request-detail button[data-replay]').length", toBe: 2, session: tab)
        #expect(buttons == 2, "replay on v1 and v2")
        _ = try browser.evaluate(
            "document.querySelector('#request-detail button[data-replay=\"2\"]').click()", session: tab)
        let diff = try await browser.waitFor(
            "(document.getElementById('replay-result')||{}).textContent.includes('+ changed')", toBe: .bool(true),
            session: tab)
        #expect(diff == .bool(true))
        try browser.screenshot(
            session: tab, to: FilePath.join(TestProject.repositoryRoot, ".build/test-artifacts/requests-view.png"))

        // A POST: the replay asks first; declined, nothing is sent.
        #expect(try serve.request("POST", "/echo", body: "side effect").status == 200)
        try await Task.sleep(for: .milliseconds(400))
        _ = try browser.evaluate("document.querySelector('#requests tbody tr[data-id]').click()", session: tab)
        let picked = try await browser.waitFor(
            "document.getElementById('request-detail').getAttribute('data-method') === 'POST'"
                + " && document.querySelectorAll('#request-detail button[data-replay]').length > 0",
            toBe: .bool(true), session: tab)
        #expect(picked == .bool(true), "the POST's detail is shown")
        _ = try browser.evaluate("window.confirm = function(q) { window.asked = q; return false; }", session: tab)
        let before = try JournalTests.requests(serve).count
        _ = try browser.evaluate("document.querySelector('#request-detail button[data-replay]').click()", session: tab)
        let asked = try browser.evaluate("window.asked", session: tab)
        #expect(asked == "Replay POST on v1? It runs the handler again, with its side effects.", "\(asked)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try JournalTests.requests(serve).count == before)
    }
}
