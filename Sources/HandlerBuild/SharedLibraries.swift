import EdgeSystem

/// Shared modules: `handlers/_lib/<Module>/**/*.swift`, each one Swift module that endpoints
/// (and other modules) use with `import <Module>`.
extension Project {
    /// `handlers/_lib`: never an endpoint.
    public var libraryRoot: String { FilePath.join(handlersDirectory, "_lib") }

    /// Folders that are not endpoints whatever they hold.
    public static let reservedFolders: Set<String> = ["_lib", "_migrations"]

    public func libraryDirectory(_ name: String) -> String { FilePath.join(libraryRoot, name) }

    /// Every shared module: folders under `_lib/` named as Swift identifiers that hold sources.
    public func libraryNames() -> [String] {
        FilePath.contents(of: libraryRoot).filter {
            Self.isValidModuleName($0) && !librarySourceFiles($0).isEmpty
        }
    }

    /// A module's sources, from its folder and every folder below it, sorted.
    public func librarySourceFiles(_ name: String) -> [String] {
        Self.swiftFiles(under: libraryDirectory(name))
    }

    /// `.edge/build/_lib/<Module>/<n>/`: where each version of a module is built.
    public var libraryBuildRoot: String { FilePath.join(buildRoot, "_lib") }

    /// A Swift identifier: letters, digits and `_`, not starting with a digit.
    public static func isValidModuleName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        }
    }

    static func swiftFiles(under directory: String) -> [String] {
        var files: [String] = []
        func collect(_ directory: String) {
            for name in FilePath.contents(of: directory) where !name.hasPrefix(".") {
                let path = FilePath.join(directory, name)
                if FilePath.isDirectory(path) {
                    collect(path)
                } else if name.hasSuffix(".swift") && FilePath.isRegularFile(path) {
                    files.append(path)
                }
            }
        }
        collect(directory)
        return files
    }
}

/// The modules a Swift source imports, from its `import` lines: every one, including those
/// under `#if`, `@testable`/`@_exported` forms, access-level imports and `import struct M.T`.
public enum ImportScanner {
    public static func modules(in source: String) -> Set<String> {
        var modules: Set<String> = []
        for raw in source.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = raw.drop { $0 == " " || $0 == "\t" }
            if let comment = line.firstRange(of: "//") { line = line[..<comment.lowerBound] }
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
            if let first = words.first, ["public", "package", "internal", "fileprivate", "private"].contains(first) {
                words.removeFirst()
            }
            guard words.first == "import", words.count >= 2 else { continue }
            var target = words[1]
            if ["struct", "class", "enum", "protocol", "typealias", "func", "var", "let", "actor"].contains(target),
                words.count >= 3
            {
                target = words[2]
            }
            let name = String(target.prefix { $0 != "." && $0 != ";" })
            if Project.isValidModuleName(name) { modules.insert(name) }
        }
        return modules
    }

    /// What the files at `paths` import, together.
    public static func modules(inFiles paths: [String]) -> Set<String> {
        paths.reduce(into: []) { $0.formUnion(modules(in: (try? FilePath.readText($1)) ?? "")) }
    }
}

/// Who imports whom among the shared modules and endpoints, recomputed from the sources.
public struct LibraryGraph: Sendable, Equatable {
    /// Each module's imports of other shared modules.
    public var libraryImports: [String: Set<String>]
    /// Each endpoint's imports of shared modules.
    public var endpointImports: [String: Set<String>]

    public init(libraryImports: [String: Set<String>], endpointImports: [String: Set<String>]) {
        let names = Set(libraryImports.keys)
        self.libraryImports = libraryImports.mapValues { $0.intersection(names) }
        self.endpointImports = endpointImports.mapValues { $0.intersection(names) }
    }

    /// The graph of `project` as its files say now.
    public static func scan(_ project: Project) -> LibraryGraph {
        var libraries: [String: Set<String>] = [:]
        for name in project.libraryNames() {
            libraries[name] = ImportScanner.modules(inFiles: project.librarySourceFiles(name)).subtracting([name])
        }
        var endpoints: [String: Set<String>] = [:]
        for id in project.endpointIDs() { endpoints[id] = ImportScanner.modules(inFiles: project.sourceFiles(id)) }
        return LibraryGraph(libraryImports: libraries, endpointImports: endpoints)
    }

    /// An import cycle, as the modules around it (`["A", "B", "A"]`), or nil.
    public func cycle() -> [String]? {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var path: [String] = []
        func visit(_ name: String) -> [String]? {
            if state[name] == 2 { return nil }
            if state[name] == 1 {
                let start = path.firstIndex(of: name)!
                return Array(path[start...]) + [name]
            }
            state[name] = 1
            path.append(name)
            for next in (libraryImports[name] ?? []).sorted() {
                if let found = visit(next) { return found }
            }
            path.removeLast()
            state[name] = 2
            return nil
        }
        for name in libraryImports.keys.sorted() {
            if let found = visit(name) { return found }
        }
        return nil
    }

    /// `name` and every module it imports, directly or not, dependencies first.
    public func closure(of names: Set<String>) -> [String] {
        var order: [String] = []
        var seen: Set<String> = []
        func visit(_ name: String) {
            guard seen.insert(name).inserted else { return }
            for next in (libraryImports[name] ?? []).sorted() { visit(next) }
            order.append(name)
        }
        for name in names.sorted() { visit(name) }
        return order
    }

    /// The graph without `names` (and without their imports of one another).
    public func removing(_ names: Set<String>) -> LibraryGraph {
        LibraryGraph(
            libraryImports: libraryImports.filter { !names.contains($0.key) }.mapValues { $0.subtracting(names) },
            endpointImports: endpointImports)
    }

    /// Every import cycle's modules and the modules that import them, with each cycle: what
    /// cannot build; the rest can, in `removing(blocked).buildOrder()`.
    public func blockedByCycles() -> (blocked: Set<String>, cycles: [[String]]) {
        var blocked: Set<String> = []
        var cycles: [[String]] = []
        var rest = self
        while let cycle = rest.cycle() {
            cycles.append(cycle)
            let members = Set(cycle)
            blocked.formUnion(members)
            for name in members { blocked.formUnion(dependentLibraries(of: name)) }
            rest = removing(blocked)
        }
        return (blocked, cycles)
    }

    /// Every module in an order where each comes after the modules it imports (nil with a cycle).
    public func buildOrder() -> [String]? {
        cycle() == nil ? closure(of: Set(libraryImports.keys)) : nil
    }

    /// Modules that import `name`, directly or through another module.
    public func dependentLibraries(of name: String) -> Set<String> {
        Set(libraryImports.keys.filter { $0 != name && closure(of: [$0]).contains(name) })
    }

    /// Endpoints that import `name`, directly or through another module, sorted.
    public func dependentEndpoints(of name: String) -> [String] {
        endpointImports.filter { closure(of: $0.value).contains(name) }.keys.sorted()
    }

    /// The modules endpoint `id` needs, dependencies first.
    public func libraries(forEndpoint id: String) -> [String] {
        closure(of: endpointImports[id] ?? [])
    }
}
