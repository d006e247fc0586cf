import EdgeSDK
import EdgeSystem
import Glibc

/// The parts of a Swift toolchain the handler compiler drives directly.
///
/// Located from `swiftc` on `PATH` (or an explicit override), never from a hard-coded path, so
/// that handlers are built by the same toolchain that built `edge-dev`, whose runtime they share.
public struct Toolchain: Sendable, Equatable {
    public let swiftc: String
    public let swiftFrontend: String
    public let autolinkExtract: String
    public let clang: String
    /// `usr/lib/swift/<os>`: the runtime libraries (`libswiftCore.so`, ...).
    public let runtimeLibraryDirectory: String
    /// The object that registers a library's Swift metadata sections with the runtime.
    public let swiftrtObject: String
    public let targetTriple: String

    public enum LocateError: Error, CustomStringConvertible {
        case swiftcNotFound(searched: String)
        case missing(tool: String, path: String)

        public var description: String {
            switch self {
            case .swiftcNotFound(let searched):
                "swiftc not found on PATH (\(searched)); install a Swift toolchain or pass --toolchain"
            case .missing(let tool, let path):
                "the toolchain has no \(tool) (looked at \(path))"
            }
        }
    }

    /// `swiftc` is the override if given (a path to `swiftc` or to the `bin` folder holding it),
    /// otherwise `$EDGE_SWIFTC`, otherwise the first `swiftc` on `PATH`.
    public static func locate(override: String? = nil) throws -> Toolchain {
        let environment = getenv("EDGE_SWIFTC").map { String(cString: $0) }
        let swiftc: String
        if let given = override ?? environment {
            swiftc = FilePath.isDirectory(given) ? FilePath.join(given, "swiftc") : given
        } else {
            let path = getenv("PATH").map { String(cString: $0) } ?? ""
            guard
                let found = path.split(separator: ":").map({ FilePath.join(String($0), "swiftc") })
                    .first(where: { access($0, X_OK) == 0 })
            else { throw LocateError.swiftcNotFound(searched: path) }
            swiftc = found
        }
        let resolved = FilePath.resolvingSymlinks(swiftc)
        let bin = FilePath.directory(of: resolved)
        let usr = FilePath.directory(of: bin)
        let os = "linux"
        let arch = Self.machine()
        let toolchain = Toolchain(
            swiftc: swiftc,
            swiftFrontend: FilePath.join(bin, "swift-frontend"),
            autolinkExtract: FilePath.join(bin, "swift-autolink-extract"),
            clang: FilePath.join(bin, "clang"),
            runtimeLibraryDirectory: FilePath.join(usr, "lib/swift/\(os)"),
            swiftrtObject: FilePath.join(usr, "lib/swift/\(os)/\(arch)/swiftrt.o"),
            targetTriple: os == "linux" ? "\(arch)-unknown-linux-gnu" : "\(arch)-apple-macosx15.0"
        )
        for (tool, path) in [
            ("swift-frontend", toolchain.swiftFrontend), ("swift-autolink-extract", toolchain.autolinkExtract),
            ("clang", toolchain.clang),
        ] where access(path, X_OK) != 0 {
            throw LocateError.missing(tool: tool, path: path)
        }
        return toolchain
    }

    private static func machine() -> String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// Where the handler SDK that this process loaded lives: its library and its module.
///
/// Handlers must link exactly the `libEdgeSDK.so` the host has loaded, so by default it is found
/// with `dladdr` on one of the SDK's own types: beside the running `edge-dev` (or test binary), as
/// SwiftPM lays them out.
public struct SDKLocation: Sendable, Equatable {
    /// The folder holding `libEdgeSDK.so`.
    public let libraryDirectory: String
    /// The folder holding `EdgeSDK.swiftmodule`, passed to the compiler as `-I`.
    public let moduleDirectory: String

    public enum LocateError: Error, CustomStringConvertible {
        case notFound(String)
        public var description: String {
            switch self {
            case .notFound(let why): "cannot find the EdgeSDK library: \(why)"
            }
        }
    }

    public init(libraryDirectory: String, moduleDirectory: String) {
        self.libraryDirectory = libraryDirectory
        self.moduleDirectory = moduleDirectory
    }

    /// The override (or `$EDGE_SDK_DIR`) names the folder holding `libEdgeSDK.so`.
    public static func locate(override: String? = nil) throws -> SDKLocation {
        let directory: String
        if let given = override ?? getenv("EDGE_SDK_DIR").map({ String(cString: $0) }) {
            directory = FilePath.absolute(given)
        } else {
            guard let image = loadedSDKImage() else {
                throw LocateError.notFound("the SDK is not loaded in this process")
            }
            directory = FilePath.directory(of: image)
        }
        for candidate in [FilePath.join(directory, "Modules"), directory]
        where FilePath.exists(FilePath.join(candidate, "EdgeSDK.swiftmodule")) {
            return SDKLocation(libraryDirectory: directory, moduleDirectory: candidate)
        }
        throw LocateError.notFound("no EdgeSDK.swiftmodule in \(directory) or its Modules folder")
    }
}

/// Where the SDK image the process loaded lives, found from one of its types' metadata.
func loadedSDKImage() -> String? {
    sdkMetadataAddress().flatMap(imagePath(containing:))
}

/// An address inside the SDK image this process loaded: the metadata of one of its classes.
func sdkMetadataAddress() -> UnsafeRawPointer? {
    unsafeBitCast(HandlerEntry.self as AnyClass, to: UnsafeRawPointer.self)
}
