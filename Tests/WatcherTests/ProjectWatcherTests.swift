import EdgeSystem
import Glibc
import Synchronization
import Testing
import Watcher

/// Real inotify, real file writes in a temporary folder (removed after each test).
@Suite final class ProjectWatcherTests {
    final class Recorder: Sendable {
        private let batches = Mutex<[[EndpointChange]]>([])
        var all: [[EndpointChange]] { batches.withLock { $0 } }
        /// What was reported, however it fell into batches (a save preempted between its write and
        /// its close for longer than the quiet window is two batches of the same change).
        var reported: Set<EndpointChange> { Set(all.joined()) }
        func record(_ changes: [EndpointChange]) { batches.withLock { $0.append(changes) } }
        func reset() { batches.withLock { $0 = [] } }
    }

    let root: String
    let handlers: String

    init() throws {
        var template = Array("/tmp/edge-watch-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw WatchError.system(operation: "mkdtemp", code: errno) }
        root = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        handlers = root + "/handlers"
        mkdir(handlers, 0o755)
        mkdir(handlers + "/hello", 0o755)
        mkdir(handlers + "/hello/src", 0o755)
        try write(handlers + "/hello/src/handler.swift", "// v1\n")
    }

    deinit { FilePath.removeTree(root) }

    func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw WatchError.system(operation: "open \(path)", code: errno) }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Ten times the server's 40 ms: on a loaded machine (one CPU hog beside the suite was
    /// enough) a test preempted between an editor's steps for longer than the window split one
    /// save into two batches. How events are grouped does not depend on the window's width.
    static let quietWindow: Duration = .milliseconds(400)

    func start(_ recorder: Recorder) throws -> ProjectWatcher {
        let watcher = try ProjectWatcher(
            handlersDirectory: handlers, quietWindow: Self.quietWindow, onChanges: { recorder.record($0) },
            onWarning: { _ in })
        watcher.start()
        return watcher
    }

    func settle(_ recorder: Recorder, count: Int = 1) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while recorder.all.count < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(150))  // and nothing more follows
    }

    @Test func anInPlaceSaveIsOneChange() async throws {
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }
        let fd = open(handlers + "/hello/src/handler.swift", O_WRONLY | O_TRUNC)
        for part in ["// v2", " more", " and more\n"] {
            _ = part.withCString { Glibc.write(fd, $0, strlen($0)) }
        }
        close(fd)
        try await settle(recorder)
        #expect(recorder.all == [[.sourcesChanged("hello")]])
    }

    @Test func vimsBackupAndRenameSaveIsOneChange() async throws {
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }
        let src = handlers + "/hello/src"
        try write(src + "/4913", "")
        unlink(src + "/4913")
        try write(src + "/.handler.swift.swp", "swap")
        rename(src + "/handler.swift", src + "/handler.swift~")
        try write(src + "/handler.swift", "// v2\n")
        unlink(src + "/handler.swift~")
        try await settle(recorder)
        #expect(recorder.all == [[.sourcesChanged("hello")]])
    }

    @Test func jetBrainsSafeWriteIsOneChange() async throws {
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }
        let src = handlers + "/hello/src"
        try write(src + "/handler.swift___jb_tmp___", "// v2\n")
        rename(src + "/handler.swift", src + "/handler.swift___jb_old___")
        rename(src + "/handler.swift___jb_tmp___", src + "/handler.swift")
        unlink(src + "/handler.swift___jb_old___")
        try await settle(recorder)
        #expect(recorder.all == [[.sourcesChanged("hello")]])
    }

    @Test func editorTemporariesAndOtherFilesAreIgnored() async throws {
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }
        let src = handlers + "/hello/src"
        for name in [".#handler.swift", "#handler.swift#", "notes.txt", "handler.swift~", "x.swp", ".hidden.swift"] {
            try write(src + "/" + name, "junk")
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(recorder.all.isEmpty)
        #expect(EditorFiles.isSource("handler.swift"))
        #expect(!EditorFiles.isSource("handler.swift___jb_tmp___"))
    }

    @Test func aNewSubfolderIsScannedAtOnce() async throws {
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }
        // Folder and file in one go: the file may exist before the folder's watch does.
        mkdir(handlers + "/hello/src/models", 0o755)
        mkdir(handlers + "/hello/src/models/deep", 0o755)
        try write(handlers + "/hello/src/models/deep/Model.swift", "struct Model {}\n")
        try await settle(recorder)
        #expect(recorder.reported == [.sourcesChanged("hello")])
        recorder.reset()
        // And the new folder is watched from now on.
        try write(handlers + "/hello/src/models/deep/Model.swift", "struct Model { var x = 1 }\n")
        try await settle(recorder)
        #expect(recorder.reported == [.sourcesChanged("hello")])
    }

    @Test func endpointsComeAndGoAndManifestsAreSeen() async throws {
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }
        mkdir(handlers + "/fresh", 0o755)
        mkdir(handlers + "/fresh/src", 0o755)
        try write(handlers + "/fresh/src/handler.swift", "// new\n")
        try await settle(recorder)
        #expect(recorder.all == [[.added("fresh")]])

        recorder.reset()
        try write(handlers + "/fresh/endpoint.json", #"{"path": "/f"}"#)
        try await settle(recorder)
        #expect(recorder.all == [[.manifestChanged("fresh")]])

        recorder.reset()
        unlink(handlers + "/fresh/endpoint.json")
        unlink(handlers + "/fresh/src/handler.swift")
        rmdir(handlers + "/fresh/src")
        rmdir(handlers + "/fresh")
        try await settle(recorder)
        #expect(recorder.all == [[.removed("fresh")]])
    }

    @Test func differentEndpointsDoNotWaitForEachOther() async throws {
        mkdir(handlers + "/other", 0o755)
        mkdir(handlers + "/other/src", 0o755)
        try write(handlers + "/other/src/a.swift", "// a\n")
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }
        try write(handlers + "/hello/src/handler.swift", "// v2\n")
        try write(handlers + "/other/src/a.swift", "// a2\n")
        try await settle(recorder, count: 2)
        #expect(Set(recorder.all.flatMap { $0 }) == [.sourcesChanged("hello"), .sourcesChanged("other")])
        #expect(recorder.all.count == 2)
    }

    @Test func limitErrorsSayWhichSysctlToRaise() {
        let error = WatchError.limitReached(what: "inotify watches", sysctl: "fs.inotify.max_user_watches")
        #expect(error.description.contains("sudo sysctl fs.inotify.max_user_watches="))
    }

    /// Links are followed: a source file that links to a file elsewhere, a `src` that links to a
    /// folder elsewhere (made after the watcher started), and an endpoint folder that is a link.
    @Test func symbolicLinksAreFollowed() async throws {
        mkdir(root + "/shared", 0o755)
        try write(root + "/shared/common.swift", "// v1\n")
        symlink(root + "/shared/common.swift", handlers + "/hello/src/common.swift")
        let recorder = Recorder()
        let watcher = try start(recorder)
        defer { watcher.stop() }

        // An edit of the link's target, in a folder nobody else watches.
        try write(root + "/shared/common.swift", "// v2\n")
        try await settle(recorder)
        #expect(recorder.reported == [.sourcesChanged("hello")])

        // A new endpoint whose src is a link to a folder outside `handlers/`.
        recorder.reset()
        mkdir(root + "/elsewhere", 0o755)
        try write(root + "/elsewhere/handler.swift", "// v1\n")
        mkdir(handlers + "/linked", 0o755)
        symlink(root + "/elsewhere", handlers + "/linked/src")
        try await settle(recorder)
        #expect(recorder.reported == [.added("linked")])
        recorder.reset()
        try write(root + "/elsewhere/handler.swift", "// v2\n")
        try await settle(recorder)
        #expect(recorder.reported == [.sourcesChanged("linked")])

        // An endpoint folder that is itself a link.
        recorder.reset()
        mkdir(root + "/outside", 0o755)
        mkdir(root + "/outside/src", 0o755)
        try write(root + "/outside/src/handler.swift", "// v1\n")
        symlink(root + "/outside", handlers + "/aliased")
        try await settle(recorder)
        #expect(recorder.reported == [.added("aliased")])
        recorder.reset()
        try write(root + "/outside/src/handler.swift", "// v2\n")
        try await settle(recorder)
        #expect(recorder.reported == [.sourcesChanged("aliased")])
    }
}
