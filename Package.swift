// swift-tools-version:6.0
import PackageDescription

// EdgeSDK lives in its own package inside this repository (Sources/EdgeSDK) for one reason:
// SwiftPM links a dynamic library product dynamically only when the product comes from another
// package. Declared as a target of this package, EdgeSDK would be copied statically into
// `edge-dev`, and a handler that links libEdgeSDK.so would bring a second copy of `Request` and
// `Response` into the process (see shared/design/architecture.md, fact 3). It is our own code,
// not a third-party dependency: nothing is fetched.
let package = Package(
    name: "edge-dev",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edge-dev", targets: ["edge-dev"])
    ],
    dependencies: [
        .package(path: "Sources/EdgeSDK")
    ],
    targets: [
        .target(name: "CSystem"),
        .target(
            name: "Gateway",
            dependencies: ["CSystem", .product(name: "EdgeSDK", package: "EdgeSDK")]
        ),
        .target(name: "Watcher", dependencies: ["CSystem"]),
        .executableTarget(
            name: "edge-dev",
            dependencies: ["Gateway", "Watcher"]
        ),
        .executableTarget(
            name: "edge-bench",
            dependencies: ["Gateway"],
            path: "bench/Sources/edge-bench"
        ),
        .testTarget(
            name: "EdgeSDKTests",
            dependencies: [.product(name: "EdgeSDK", package: "EdgeSDK")]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway"]
        ),
        .testTarget(
            name: "WatcherTests",
            dependencies: ["Watcher", "Gateway"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
