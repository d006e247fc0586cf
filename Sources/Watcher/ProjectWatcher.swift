import EdgeSystem
import Synchronization

/// Watches `handlers/`, every endpoint folder and, recursively, every `src/` folder, and reports
/// per-endpoint changes once each burst of events has gone quiet.
///
/// inotify is not recursive: a folder created later is watched as soon as its creation is seen,
/// and scanned at once, so files written into it before the watch existed are not missed.
public final class ProjectWatcher: @unchecked Sendable {
    /// A burst of events for one endpoint becomes one change once no event has come for this long
    /// after an event that leaves a save unfinished (a modify, a create, a rename away, a delete).
    public static let defaultQuietWindow: Duration = .milliseconds(40)
    /// After an event that completes a save (a file closed after writing, a file renamed into
    /// place), a much shorter wait: every edit-to-live millisecond counts, and the editors'
    /// remaining steps (deleting a backup or a temp file) are ignored anyway. Scripted vim and
    /// JetBrains saves complete within 1 ms of their first event here.
    public static let defaultSettleWindow: Duration = .milliseconds(5)

    public let handlersDirectory: String
    private let quietWindow: UInt64
    private let settleWindow: UInt64
    private let onChanges: @Sendable ([EndpointChange]) -> Void
    private let onWarning: @Sendable (String) -> Void
    private let inotify: Inotify
    private let stopRequested = Atomic<Bool>(false)

    // Watcher-thread state.
    /// The project folder's configuration files (beside `handlers/`).
    public static let configurationFiles: Set<String> = [".env", ".env.local"]

    /// What a burst of events is about: each subject's changes wait out their own quiet window
    /// and are reported together.
    private enum Subject: Hashable {
        case endpoint(String)
        /// The shared module `handlers/_lib/<name>`.
        case library(String)
        /// `.env` and `.env.local`.
        case configuration
        /// The migrations of database `handlers/_migrations/<name>`.
        case migrations(String)
        /// Everything (after lost events).
        case everything

        /// What a changed source of this subject is reported as.
        var sourcesChanged: EndpointChange {
            switch self {
            case .library(let name): .libraryChanged(name)
            case .migrations(let name): .migrationsChanged(name)
            case .endpoint(let id): .sourcesChanged(id)
            case .configuration: .configurationChanged
            case .everything: .rescan
            }
        }
    }

    private enum Place {
        case project
        /// `handlers/_lib`: each folder in it is a shared module, watched like a `src` folder
        /// under the key `_lib/<Module>`.
        case libraryRoot
        /// `handlers/_migrations`: each folder in it holds one database's migrations.
        case migrationsRoot
        /// `handlers/_migrations/<database>`.
        case migrations(String)
        case root
        case endpoint(String)
        /// A folder of sources (any depth) of an endpoint or a shared module.
        case source(Subject)
    }
    private var places: [Int32: (path: String, place: Place)] = [:]
    /// A source file that is a symbolic link to a file elsewhere: an edit goes to the target, in
    /// a folder of its own, which is watched too. Keyed by that folder's watch.
    private struct LinkedFile: Hashable {
        var subject: Subject
        /// The target's name in its folder.
        var name: String
    }
    private var linkedFiles: [Int32: Set<LinkedFile>] = [:]
    private var pending: [Subject: (changes: Set<EndpointChange>, deadline: UInt64)] = [:]

    /// `onChanges` is called on the watcher's thread with one endpoint's changes at a time.
    public init(
        handlersDirectory: String, quietWindow: Duration = ProjectWatcher.defaultQuietWindow,
        settleWindow: Duration = ProjectWatcher.defaultSettleWindow,
        onChanges: @escaping @Sendable ([EndpointChange]) -> Void,
        onWarning: @escaping @Sendable (String) -> Void
    ) throws(WatchError) {
        self.handlersDirectory = handlersDirectory
        self.quietWindow = quietWindow.nanoseconds
        self.settleWindow = settleWindow.nanoseconds
        self.onChanges = onChanges
        self.onWarning = onWarning
        inotify = try Inotify()
        try watchTree()
    }

    /// Starts the watcher's thread.
    public func start() {
        do {
            try startThread(name: "edge-watcher") { self.run() }
        } catch {
            onWarning("cannot start the file watcher: \(error)")
        }
    }

    public func stop() { stopRequested.store(true, ordering: .relaxed) }

    // MARK: - Watches

    private func watchTree() throws(WatchError) {
        try watch(FilePath.directory(of: handlersDirectory), as: .project)
        try watch(handlersDirectory, as: .root)
        for name in FilePath.contents(of: handlersDirectory)
        where FilePath.isDirectory(FilePath.join(handlersDirectory, name)) {
            try watchEndpoint(name)
        }
    }

    private static let libraryFolder = "_lib"
    private static let migrationsFolder = "_migrations"

    /// `appeared`: the folder is new since the watcher started, so what it holds is news too.
    private func watchEndpoint(_ id: String, appeared: Bool = false) throws(WatchError) {
        let directory = FilePath.join(handlersDirectory, id)
        if id == Self.libraryFolder {
            try watch(directory, as: .libraryRoot)
            for name in FilePath.contents(of: directory) where FilePath.isDirectory(FilePath.join(directory, name)) {
                if try watchSources(FilePath.join(directory, name), for: .library(name)), appeared {
                    note(.libraryChanged(name), for: .library(name))
                }
            }
            return
        }
        if id == Self.migrationsFolder {
            try watch(directory, as: .migrationsRoot)
            for name in FilePath.contents(of: directory) where FilePath.isDirectory(FilePath.join(directory, name)) {
                try watch(FilePath.join(directory, name), as: .migrations(name))
                if appeared { note(.migrationsChanged(name), for: .migrations(name)) }
            }
            return
        }
        try watch(directory, as: .endpoint(id))
        let source = FilePath.join(directory, "src")
        if FilePath.isDirectory(source) { try watchSources(source, for: .endpoint(id)) }
    }

    /// Watches `directory` and every folder below it; returns true if it holds any Swift source.
    @discardableResult
    private func watchSources(_ directory: String, for subject: Subject) throws(WatchError) -> Bool {
        try watch(directory, as: .source(subject))
        var hasSources = false
        for name in FilePath.contents(of: directory) where !EditorFiles.isTemporary(name) {
            let path = FilePath.join(directory, name)
            if FilePath.isDirectory(path) {
                if try watchSources(path, for: subject) { hasSources = true }
            } else if EditorFiles.isSource(name) {
                hasSources = true
                if FilePath.isSymbolicLink(path) { try watchLinkTarget(path, for: subject) }
            }
        }
        return hasSources
    }

    /// Watches the folder of the file the link `path` points to (through any chain of links).
    private func watchLinkTarget(_ path: String, for subject: Subject) throws(WatchError) {
        let target = FilePath.resolvingSymlinks(path)
        guard target != path else { return }  // a dangling link: nothing to watch yet
        let descriptor = try inotify.addWatch(
            FilePath.directory(of: target), Inotify.Mask.changes.union(.onlyDirectory))
        linkedFiles[descriptor, default: []].insert(LinkedFile(subject: subject, name: FilePath.lastComponent(target)))
    }

    private func watch(_ path: String, as place: Place) throws(WatchError) {
        let descriptor = try inotify.addWatch(path, Inotify.Mask.changes.union(.onlyDirectory))
        places[descriptor] = (path, place)
    }

    /// A watch that fails for want of a kernel resource is reported, and the server keeps serving.
    private func tryWatch(_ body: () throws(WatchError) -> Void) {
        do {
            try body()
        } catch {
            onWarning("cannot watch every folder: \(error)")
        }
    }

    // MARK: - Events

    private func run() {
        while !stopRequested.load(ordering: .relaxed) {
            let timeout =
                nextDeadline().map { deadline -> Int32 in
                    let now = MonotonicClock.nanoseconds()
                    return deadline <= now ? 0 : Int32(min(250, (deadline - now) / 1_000_000 + 1))
                } ?? 250
            if inotify.wait(timeoutMilliseconds: timeout) {
                for event in inotify.readEvents() { handle(event) }
            }
            emitQuietChanges()
        }
    }

    private func handle(_ event: Inotify.Event) {
        if event.mask.contains(.queueOverflow) {
            onWarning("file events were lost (inotify queue overflow); rescanning the project")
            places.removeAll()
            tryWatch { () throws(WatchError) in try watchTree() }
            note(.rescan, for: .everything)
            return
        }
        if event.mask.contains(.ignored) {
            places[event.watch] = nil
            linkedFiles[event.watch] = nil
            return
        }
        if let linked = linkedFiles[event.watch], !event.name.isEmpty,
            !event.mask.isDisjoint(with: [.modify, .closeWrite, .movedTo, .movedFrom, .delete, .create])
        {
            for file in linked where file.name == event.name {
                note(
                    file.subject.sourcesChanged, for: file.subject,
                    complete: !event.mask.isDisjoint(with: [.closeWrite, .movedTo]))
            }
        }
        guard let (path, place) = places[event.watch] else { return }
        let isDirectory = event.mask.contains(.isDirectory)
        let appeared = !event.mask.isDisjoint(with: [.create, .movedTo])
        let vanished = !event.mask.isDisjoint(with: [.delete, .movedFrom])
        switch place {
        case .libraryRoot:
            guard !event.name.isEmpty, !EditorFiles.isTemporary(event.name) else { return }
            let module = Subject.library(event.name)
            let entry = FilePath.join(path, event.name)
            if appeared && FilePath.isDirectory(entry) {
                tryWatch { () throws(WatchError) in _ = try watchSources(entry, for: module) }
                note(module.sourcesChanged, for: module)
            } else if vanished {
                note(module.sourcesChanged, for: module)
            }
        case .migrationsRoot:
            guard !event.name.isEmpty, !EditorFiles.isTemporary(event.name) else { return }
            let entry = FilePath.join(path, event.name)
            if appeared && FilePath.isDirectory(entry) {
                tryWatch { () throws(WatchError) in try watch(entry, as: .migrations(event.name)) }
                note(.migrationsChanged(event.name), for: .migrations(event.name))
            }
        case .migrations(let name):
            guard event.name.hasSuffix(".sql"), !EditorFiles.isTemporary(event.name), !isDirectory,
                !event.mask.isDisjoint(with: [.modify, .closeWrite, .movedTo, .movedFrom, .delete, .create])
            else { return }
            note(
                .migrationsChanged(name), for: .migrations(name),
                complete: !event.mask.isDisjoint(with: [.closeWrite, .movedTo]))
        case .project:
            if Self.configurationFiles.contains(event.name), !isDirectory,
                !event.mask.isDisjoint(with: [.closeWrite, .movedTo, .delete, .movedFrom, .create, .modify])
            {
                // A delete or a rename away may be the first half of a save: wait the quiet window.
                note(
                    .configurationChanged, for: .configuration,
                    complete: !event.mask.isDisjoint(with: [.closeWrite, .movedTo]))
            }
        case .root:
            guard !event.name.isEmpty, !EditorFiles.isTemporary(event.name) else { return }
            // A link to an endpoint folder is a folder here, though its event does not say so.
            guard isDirectory || FilePath.isDirectory(FilePath.join(path, event.name)) || (!appeared && vanished)
            else { return }
            if appeared {
                tryWatch { () throws(WatchError) in try watchEndpoint(event.name, appeared: true) }
                if FilePath.isDirectory(FilePath.join(FilePath.join(handlersDirectory, event.name), "src")) {
                    note(.added(event.name), for: event.name)
                }
            } else if vanished {
                note(.removed(event.name), for: event.name)
            }
        case .endpoint(let id):
            if event.name == "endpoint.json" && !isDirectory {
                if !event.mask.isDisjoint(with: [.closeWrite, .movedTo, .delete, .movedFrom]) {
                    note(
                        .manifestChanged(id), for: id, complete: !event.mask.isDisjoint(with: [.closeWrite, .movedTo]))
                }
            } else if event.name == "src"
                && (isDirectory || FilePath.isDirectory(FilePath.join(path, "src")) || vanished)
            {
                if appeared {
                    tryWatch { () throws(WatchError) in try watchSources(FilePath.join(path, "src"), for: .endpoint(id))
                    }
                    note(.added(id), for: id)
                } else if vanished {
                    note(.sourcesChanged(id), for: id)
                }
            } else if event.name.isEmpty && !event.mask.isDisjoint(with: [.deleteSelf, .moveSelf]) {
                note(.removed(id), for: id)
            }
        case .source(let subject):
            guard !event.name.isEmpty, !EditorFiles.isTemporary(event.name) else { return }
            let entry = FilePath.join(path, event.name)
            if isDirectory || (appeared && FilePath.isDirectory(entry)) {
                if appeared {
                    var hasSources = false
                    tryWatch { () throws(WatchError) in
                        hasSources = try watchSources(entry, for: subject)
                    }
                    if hasSources { note(subject.sourcesChanged, for: subject) }
                } else if vanished {
                    note(subject.sourcesChanged, for: subject)
                }
            } else if EditorFiles.isSource(event.name)
                && !event.mask.isDisjoint(with: [.modify, .closeWrite, .movedTo, .movedFrom, .delete, .create])
            {
                if appeared && FilePath.isSymbolicLink(entry) {
                    tryWatch { () throws(WatchError) in try watchLinkTarget(entry, for: subject) }
                }
                note(
                    subject.sourcesChanged, for: subject,
                    complete: !event.mask.isDisjoint(with: [.closeWrite, .movedTo]))
            }
        }
    }

    /// Records `change` and (re)sets when its endpoint's changes are reported: the latest event
    /// decides, so a save that completes after a rename away settles quickly, and a write that
    /// starts again after a close waits again.
    private func note(_ change: EndpointChange, for subject: Subject, complete: Bool = false) {
        pending[subject, default: ([], 0)].changes.insert(change)
        pending[subject]!.deadline = MonotonicClock.nanoseconds() + (complete ? settleWindow : quietWindow)
    }

    private func note(_ change: EndpointChange, for id: String, complete: Bool = false) {
        note(change, for: .endpoint(id), complete: complete)
    }

    private func nextDeadline() -> UInt64? {
        pending.values.map(\.deadline).min()
    }

    /// Reports every endpoint whose events have gone quiet. A removal makes the rest moot; an
    /// endpoint whose folder is gone is reported removed whatever its events said.
    private func emitQuietChanges() {
        let now = MonotonicClock.nanoseconds()
        for (subject, entry) in pending where now >= entry.deadline {
            pending[subject] = nil
            var changes = entry.changes
            // Only an endpoint's changes need sorting out; a module, the configuration or a
            // rescan is one change whatever its events were.
            guard case .endpoint(let id) = subject else {
                onChanges([subject.sourcesChanged])
                continue
            }
            if !FilePath.isDirectory(FilePath.join(handlersDirectory, id)) {
                changes = [.removed(id)]
            } else if changes.contains(.removed(id)) {
                changes.remove(.removed(id))
                changes.insert(.added(id))
            }
            if changes.contains(.added(id)) { changes.remove(.sourcesChanged(id)) }
            let order: (EndpointChange) -> Int = {
                switch $0 {
                case .rescan: 0
                case .removed: 1
                case .added: 2
                case .manifestChanged: 3
                case .sourcesChanged: 4
                case .configurationChanged: 5
                case .libraryChanged: 6
                case .migrationsChanged: 7
                }
            }
            onChanges(changes.sorted { order($0) < order($1) })
        }
    }
}
