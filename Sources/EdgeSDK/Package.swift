// swift-tools-version:6.0
import PackageDescription

// The handler SDK: the one shared library that the host and every handler link, so that
// `Request` and `Response` are the same types on both sides. It carries a SONAME so that the
// dynamic loader recognises the copy the host already loaded when a handler names it.
let package = Package(
    name: "EdgeSDK",
    products: [
        .library(name: "EdgeSDK", type: .dynamic, targets: ["EdgeSDK"])
    ],
    targets: [
        .target(
            name: "EdgeSDK",
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "-soname=libEdgeSDK.so"], .when(platforms: [.linux]))
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
