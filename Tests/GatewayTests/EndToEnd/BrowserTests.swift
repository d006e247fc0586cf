import EdgeHTTP
import EdgeSystem
import EdgeTestSupport
import Gateway
import Glibc
import HandlerBuild
import HandlerRuntime
import Testing

/// The dashboard and live-reload in a real browser (headless Chromium, Debian package
/// `chromium`; `.ci/run` installs it when it can). Screenshots go to `.build/test-artifacts/`.
@Suite(.onOwnThreads, .serialized, .enabled(if: HeadlessChromium.executable != nil, "needs chromium on PATH"))
struct BrowserTests {
    let test: TestProject
    let serve: ServeProcess

    static let artifacts = FilePath.join(TestProject.repositoryRoot, ".build/test-artifacts")

    init() async throws {
        test = try TestProject(samples: ["hello"])
        try test.write("page", EventsAndDashboardTests.page)
        serve = try ServeProcess(handlers: test.project.handlersDirectory)
        _ = try await serve.waitUntilReady()
    }

    var url: String { "http://127.0.0.1:\(serve.port)" }

    @Test func theDashboardFollowsASaveWithoutReloading() async throws {
        let browser = try HeadlessChromium()
        let tab = try browser.open("\(url)/_edge/")
        #expect(
            try await browser.waitFor("document.getElementById('live').textContent", toBe: "live", session: tab)
                == "live")
        #expect(
            try browser.evaluate("document.querySelector('#endpoint-hello .version').textContent", session: tab) == "v1"
        )
        _ = try browser.evaluate("window.sameDocument = true", session: tab)

        try test.write("hello", "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"saved\") }\n")
        let version = try await browser.waitFor(
            "document.querySelector('#endpoint-hello .version').textContent", toBe: "v2", session: tab)
        #expect(version == "v2")
        #expect(try browser.evaluate("window.sameDocument === true", session: tab) == .bool(true), "not reloaded")
        let log = try await browser.waitFor(
            "document.getElementById('events').textContent.includes('hello: swapped v1 → v2')", toBe: .bool(true),
            session: tab)
        #expect(log == .bool(true))

        // A failed build shows its error with the source line, still without a reload.
        try test.write("hello", "import EdgeSDK\nfunc handle(_ req: Request) -> Response {\n    .text(missing)\n}\n")
        let shown = try await browser.waitFor(
            "document.querySelector('.problem') !== null && document.querySelector('.problem').textContent.includes('3 |     .text(missing)')",
            toBe: .bool(true), session: tab)
        #expect(shown == .bool(true))
        let path = FilePath.join(Self.artifacts, "dashboard.png")
        try browser.screenshot(session: tab, to: path)
        let png = try FilePath.readBytes(path)
        #expect(png.count > 10_000 && Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "a PNG at \(path)")
    }

    @Test func aPageReloadsAfterASaveAndShowsCompileErrorsInAnOverlay() async throws {
        let browser = try HeadlessChromium()
        let tab = try browser.open("\(url)/page")
        let heading = "document.querySelector('h1') && document.querySelector('h1').textContent"
        #expect(try await browser.waitFor(heading, toBe: "v1", session: tab) == "v1")
        try await Task.sleep(for: .milliseconds(300))  // the script's event stream connects

        try test.write("page", EventsAndDashboardTests.page.replacingFirst("<h1>", "<h1>saved "))
        #expect(try await browser.waitFor(heading, toBe: "saved v2", session: tab) == "saved v2")
        try await Task.sleep(for: .milliseconds(300))

        try test.write("page", "import EdgeSDK\nfunc handle(_ req: Request) -> Response {\n    .html(missing)\n}\n")
        let overlay =
            "document.getElementById('edge-dev-overlay') ? document.getElementById('edge-dev-overlay').textContent : ''"
        let text = try await browser.waitFor(
            "(\(overlay)).includes('handlers/page/src/handler.swift:3:11: error: cannot find')", toBe: .bool(true),
            session: tab)
        #expect(text == .bool(true))
        try browser.screenshot(session: tab, to: FilePath.join(Self.artifacts, "live-reload-overlay.png"))

        try test.write("page", EventsAndDashboardTests.page.replacingFirst("<h1>", "<h1>fixed "))
        let fixed = try await browser.waitFor(
            "(\(heading) || '').startsWith('fixed v')", toBe: .bool(true), session: tab)
        let shown = try browser.evaluate(heading, session: tab)
        #expect(fixed == .bool(true), "\(shown)")
        #expect(
            try browser.evaluate("document.getElementById('edge-dev-overlay') === null", session: tab) == .bool(true))
    }
}

extension String {
    func replacingFirst(_ target: String, _ replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
    }
}
