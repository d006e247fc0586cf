import EdgeSystem
import Glibc
import Testing

/// Path arithmetic, and real files in a temporary folder (removed after each test).
@Suite final class FilePathTests {
    let root: String

    init() throws {
        var template = Array("/tmp/edge-filepath-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemError.current("mkdtemp") }
        root = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit { FilePath.removeTree(root) }

    // MARK: - Path arithmetic

    @Test(arguments: [
        ("a", "b", "a/b"), ("a/", "b", "a/b"), ("/", "etc", "/etc"), ("", "b", "b"), ("/x/y", "z.txt", "/x/y/z.txt"),
        ("a", "b/c", "a/b/c"),
    ])
    func join(_ base: String, _ component: String, _ expected: String) {
        #expect(FilePath.join(base, component) == expected)
    }

    @Test(arguments: [
        ("/a/b/c.txt", "/a/b"), ("/a", "/"), ("/", "/"), ("a/b", "a"), ("file", "."), ("/a/b/", "/a/b"),
    ])
    func directory(_ path: String, _ expected: String) {
        #expect(FilePath.directory(of: path) == expected)
    }

    @Test(arguments: [("/a/b/c.txt", "c.txt"), ("name", "name"), ("/a/b/", ""), ("/", ""), ("a/b", "b")])
    func lastComponent(_ path: String, _ expected: String) {
        #expect(FilePath.lastComponent(path) == expected)
    }

    @Test(arguments: [
        ("/a/b", "/a/b"), ("/a/./b", "/a/b"), ("/a/b/../c", "/a/c"), ("/a/b/..", "/a"), ("/..", "/"),
        ("/../../x", "/x"), ("//a//b/", "/a/b"), ("/", "/"), ("/a/./././b/./../../c", "/c"),
    ])
    func absoluteFoldsDotsAndSlashes(_ path: String, _ expected: String) {
        #expect(FilePath.absolute(path) == expected)
    }

    @Test func aRelativePathIsMadeAbsoluteAgainstTheCurrentDirectory() {
        let cwd = FilePath.absolute(FilePath.currentDirectory())
        #expect(cwd.hasPrefix("/"))
        #expect(FilePath.absolute("x/y") == FilePath.join(cwd, "x/y"))
        #expect(FilePath.absolute("./x/../y") == FilePath.join(cwd, "y"))
        #expect(FilePath.absolute(".") == cwd)
        #expect(FilePath.absolute("..") == FilePath.directory(of: cwd))
    }

    @Test(arguments: [
        ("/p/handlers/a.swift", "/p", "handlers/a.swift"), ("/p/handlers/a.swift", "/p/", "handlers/a.swift"),
        ("/p/x", "/p/x", "/p/x"), ("/pq/x", "/p", "/pq/x"), ("/other/x", "/p", "/other/x"), ("/p/a/b", "/p/a", "b"),
    ])
    func relative(_ path: String, _ base: String, _ expected: String) {
        #expect(FilePath.relative(path, to: base) == expected)
    }

    // MARK: - Files

    @Test func writeThenReadTextRoundTrips() throws {
        let path = FilePath.join(root, "note.txt")
        #expect(!FilePath.exists(path))
        let text = "first line\nzweite Zeile: ü €\n😀\n"
        try FilePath.write(text, to: path)
        #expect(FilePath.exists(path) && FilePath.isRegularFile(path) && !FilePath.isDirectory(path))
        #expect(try FilePath.readText(path) == text)
        #expect(FilePath.modification(path)?.size == text.utf8.count)

        // A second write replaces the file whole and leaves no temporary file beside it.
        try FilePath.write("short", to: path)
        #expect(try FilePath.readText(path) == "short")
        #expect(FilePath.contents(of: root) == ["note.txt"])
    }

    @Test func bytesRoundTripAndAnEmptyFileIsEmpty() throws {
        let path = FilePath.join(root, "data.bin")
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // more than one read
        try FilePath.write(bytes, to: path)
        #expect(try FilePath.readBytes(path) == bytes)
        try FilePath.write([], to: path)
        #expect(try FilePath.readBytes(path).isEmpty)
    }

    @Test func readingAMissingFileThrows() throws {
        let path = FilePath.join(root, "missing.txt")
        let error = #expect(throws: SystemError.self) { try FilePath.readText(path) }
        #expect(error?.code == ENOENT)
        #expect(error?.operation == "open \(path)")
    }

    @Test func writingIntoAMissingFolderThrows() {
        let path = FilePath.join(root, "no/such/file.txt")
        let error = #expect(throws: SystemError.self) { try FilePath.write("x", to: path) }
        #expect(error?.code == ENOENT)
        #expect(!FilePath.exists(path))
    }

    @Test func createDirectoriesMakesTheMissingParents() throws {
        let deep = FilePath.join(root, "a/b/c")
        try FilePath.createDirectories(deep)
        #expect(FilePath.isDirectory(FilePath.join(root, "a")))
        #expect(FilePath.isDirectory(FilePath.join(root, "a/b")))
        #expect(FilePath.isDirectory(deep))
        // Again: nothing to do, no error.
        try FilePath.createDirectories(deep)
        try FilePath.createDirectories(FilePath.join(root, "a/b"))
        #expect(FilePath.contents(of: FilePath.join(root, "a/b")) == ["c"])
    }

    @Test func createDirectoriesUnderAFileThrows() throws {
        let file = FilePath.join(root, "file")
        try FilePath.write("x", to: file)
        let error = #expect(throws: SystemError.self) {
            try FilePath.createDirectories(FilePath.join(file, "sub"))
        }
        #expect(error?.code == ENOTDIR)
        #expect(FilePath.isRegularFile(file))
    }

    @Test func contentsAreSortedWithoutDotEntries() throws {
        for name in ["b", "a", "c.txt", ".hidden"] { try FilePath.write(name, to: FilePath.join(root, name)) }
        try FilePath.createDirectories(FilePath.join(root, "dir"))
        #expect(FilePath.contents(of: root) == [".hidden", "a", "b", "c.txt", "dir"])
        #expect(FilePath.contents(of: FilePath.join(root, "missing")).isEmpty)
    }

    @Test func removeTreeRemovesEverythingUnderIt() throws {
        let tree = FilePath.join(root, "tree")
        try FilePath.createDirectories(FilePath.join(tree, "x/y/z"))
        try FilePath.write("1", to: FilePath.join(tree, "top.txt"))
        try FilePath.write("2", to: FilePath.join(tree, "x/y/inner.txt"))
        try FilePath.write("3", to: FilePath.join(tree, "x/y/z/.dot"))
        FilePath.removeTree(tree)
        #expect(!FilePath.exists(tree))
        #expect(FilePath.contents(of: root).isEmpty)
    }

    @Test func removeTreeOfAFileOrNothing() throws {
        let file = FilePath.join(root, "single")
        try FilePath.write("x", to: file)
        FilePath.removeTree(file)
        #expect(!FilePath.exists(file))
        FilePath.removeTree(FilePath.join(root, "never-was"))  // not an error
        #expect(FilePath.isDirectory(root))
    }

    @Test func removeTreeRemovesALinkNotWhatItPointsTo() throws {
        let target = FilePath.join(root, "target")
        try FilePath.createDirectories(target)
        try FilePath.write("keep", to: FilePath.join(target, "keep.txt"))
        let tree = FilePath.join(root, "tree")
        try FilePath.createDirectories(tree)
        let link = FilePath.join(tree, "link")
        #expect(symlink(target, link) == 0)
        FilePath.removeTree(tree)
        #expect(!FilePath.exists(tree))
        #expect(try FilePath.readText(FilePath.join(target, "keep.txt")) == "keep")
    }
}
