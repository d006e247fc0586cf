// swift-tools-version:6.0
import PackageDescription

// edge-dev runs on Linux only: epoll, eventfd, inotify, /proc and the crash barrier's signal
// handling are Linux's. Fail here, with a reason, rather than deep inside a build elsewhere.
#if !os(Linux)
    #error("edge-dev runs on Linux only (it is built on epoll, inotify and /proc): build it on Linux")
#endif

// The layering, bottom up; each module imports only what it lists (see docs/architecture.md):
//
//   CSystem         C shims: Linux headers Swift's Glibc leaves out, the crash guard's signal handler
//   EdgeSystem      syscall wrappers, file paths, subprocesses, threads, the host log, JSON, clocks
//   EdgeHTTP        the HTTP/1.1 server: parser, encoder, event loops, the crash barrier
//   HandlerRuntime  the HandlerRegistry: loaded libraries, versions, request guards, draining
//   HandlerBuild    the toolchain, the handler compiler, diagnostics, build reuse, project layout
//   CSQLite         the system's SQLite, opened at run time (no headers needed to build)
//   DataServices    ctx.database, ctx.cache, ctx.storage and durable ctx.state under .edge/data
//   Watcher         inotify and per-endpoint changes
//   Examples        handlers/<id>/examples/*.hurl: a Hurl subset, parsed and run over HTTP
//   BuildServer     the editor's build server (Build Server Protocol for sourcekit-lsp)
//   Gateway         the dev server: endpoint lifecycle, routing, answering, the /_edge/ pages
//   EdgeCLI         the command line: typed options, help, and each command
//   edge-dev        main and the supervisor
//
// EdgeSDK lives in its own package inside this repository (Sources/EdgeSDK) for one reason:
// SwiftPM links a dynamic library product dynamically only when the product comes from another
// package. Declared as a target of this package, EdgeSDK would be copied statically into
// `edge-dev`, and a handler that links libEdgeSDK.so would bring a second copy of `Request` and
// `Response` into the process (docs/architecture.md, fact 3). It is our own code, not a
// third-party dependency: nothing is fetched.
let sdk = Target.Dependency.product(name: "EdgeSDK", package: "EdgeSDK")

let package = Package(
    name: "edge-dev",
    products: [
        .executable(name: "edge-dev", targets: ["edge-dev"])
    ],
    dependencies: [
        .package(path: "Sources/EdgeSDK")
    ],
    targets: [
        .target(name: "CSystem"),
        .target(name: "EdgeSystem", dependencies: ["CSystem"]),
        .target(name: "EdgeHTTP", dependencies: ["CSystem", "EdgeSystem", sdk]),
        .target(name: "HandlerRuntime", dependencies: ["EdgeSystem", sdk]),
        .target(name: "HandlerBuild", dependencies: ["EdgeSystem", "HandlerRuntime", sdk]),
        .target(name: "CSQLite", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "DataServices", dependencies: ["CSQLite", "EdgeSystem", sdk]),
        .target(name: "Watcher", dependencies: ["CSystem", "EdgeSystem"]),
        .target(name: "Examples", dependencies: ["EdgeSystem", "EdgeHTTP"]),
        .target(name: "BuildServer", dependencies: ["EdgeSystem", "HandlerBuild", "Watcher"]),
        .target(
            name: "Gateway",
            dependencies: ["EdgeSystem", "EdgeHTTP", "HandlerRuntime", "HandlerBuild", "DataServices", "Examples", sdk]),
        .target(
            name: "Production",
            dependencies: ["EdgeSystem", "EdgeHTTP", "HandlerRuntime", "HandlerBuild", "DataServices", "Gateway", sdk]),
        .target(
            name: "EdgeCLI",
            dependencies: [
                "EdgeSystem", "EdgeHTTP", "HandlerRuntime", "HandlerBuild", "Watcher", "BuildServer", "DataServices",
                "Examples", "Gateway", "Production", sdk,
            ]),
        .executableTarget(name: "edge-dev", dependencies: ["CSystem", "EdgeSystem", "EdgeCLI"]),
        .executableTarget(
            name: "edge-bench",
            dependencies: ["EdgeSystem", "EdgeHTTP", "HandlerRuntime", "HandlerBuild", "EdgeTestSupport", sdk],
            path: "bench/Sources/edge-bench"
        ),

        // Tests: one target per module, and a support library for the end-to-end ones.
        .target(
            name: "EdgeTestSupport",
            dependencies: ["EdgeSystem", "EdgeHTTP", "HandlerRuntime", "HandlerBuild", "BuildServer", sdk],
            path: "Tests/EdgeTestSupport"
        ),
        .testTarget(name: "EdgeSDKTests", dependencies: [sdk]),
        .testTarget(name: "EdgeSystemTests", dependencies: ["EdgeSystem"]),
        .testTarget(name: "EdgeHTTPTests", dependencies: ["EdgeHTTP", "EdgeSystem", "EdgeTestSupport", sdk]),
        .testTarget(
            name: "HandlerRuntimeTests", dependencies: ["HandlerRuntime", "HandlerBuild", "EdgeTestSupport", sdk]),
        .testTarget(
            name: "HandlerBuildTests",
            dependencies: ["HandlerBuild", "HandlerRuntime", "EdgeSystem", "EdgeTestSupport", sdk]),
        .testTarget(name: "WatcherTests", dependencies: ["Watcher", "EdgeSystem"]),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "EdgeHTTP", "HandlerRuntime", "HandlerBuild", "EdgeSystem", "EdgeTestSupport", sdk,
            ]),
        .testTarget(name: "EdgeCLITests", dependencies: ["EdgeCLI", "EdgeSystem"]),
        .testTarget(name: "ExamplesTests", dependencies: ["Examples", "EdgeSystem", "EdgeHTTP", "EdgeTestSupport"]),
        .testTarget(
            name: "DataServicesTests", dependencies: ["DataServices", "EdgeSystem", "EdgeTestSupport", sdk]),
        .testTarget(
            name: "ProductionTests",
            dependencies: ["Production", "HandlerBuild", "EdgeSystem", "EdgeHTTP", "EdgeTestSupport"]),
        .testTarget(
            name: "BuildServerTests",
            dependencies: ["BuildServer", "HandlerBuild", "EdgeSystem", "EdgeTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
