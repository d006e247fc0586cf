import EdgeSDK
import Testing

@Suite struct RequestTests {
    let request = Request(
        method: "POST", path: "/todos/7",
        queryItems: [
            .init(name: "tag", value: "a"), .init(name: "limit", value: "10"), .init(name: "tag", value: "b"),
        ],
        headers: ["Content-Type": "application/json", "X-Trace": "1", "x-trace": "2"],
        body: Array(#"{"title": "milk", "done": "yes"}"#.utf8),
        pathParameters: ["id": "7", "slug": "abc"])

    @Test func headersAreCaseInsensitiveAndKeepRepeats() {
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("CONTENT-TYPE") == "application/json")
        #expect(request.headers.values("X-TRACE") == ["1", "2"])
        #expect(request.header("missing") == nil)
    }

    @Test func queryKeepsRepeatedKeysInOrder() {
        #expect(request.query("tag") == "a")
        #expect(request.queryValues("tag") == ["a", "b"])
        #expect(request.query("nope") == nil)
    }

    @Test func typedParametersConvertOrThrow400() throws {
        #expect(try request.param("id", as: Int.self) == 7)
        #expect(try request.query("limit", as: Int.self) == 10)
        #expect(throws: HandlerError.badRequest("path parameter 'slug' must be an integer, got 'abc'")) {
            try request.param("slug", as: Int.self)
        }
        #expect(throws: HandlerError.badRequest("missing query parameter 'page'")) {
            try request.query("page", as: Int.self)
        }
        let error = #expect(throws: HandlerError.self) { try request.param("nope", as: Int.self) }
        #expect(error?.status == 400)
    }

    struct Todo: Decodable {
        var title: String
        var done: Bool
    }

    struct Named: Decodable { var name: String }

    @Test func jsonNamesWhatIsWrong() throws {
        #expect(throws: HandlerError.validation("field 'done' must be a boolean")) {
            try request.json(Todo.self)
        }
        var missing = request
        missing.body = Array(#"{"title": "milk"}"#.utf8)
        #expect(throws: HandlerError.validation("missing field 'done'")) { try missing.json(Todo.self) }
        var broken = request
        broken.body = Array("{not json".utf8)
        #expect(throws: HandlerError.validation("body is not valid JSON")) { try broken.json(Named.self) }
        var empty = request
        empty.body = []
        #expect(throws: HandlerError.validation("request body is empty; expected JSON")) {
            try empty.json(Named.self)
        }
        var good = request
        good.body = Array(#"{"title": "milk", "done": true}"#.utf8)
        let todo = try good.json(Todo.self)
        #expect(todo.title == "milk" && todo.done)
    }

    @Test func bodyIsBinarySafe() {
        let bytes: [UInt8] = [0, 255, 10, 13, 0xC3]
        let binary = Request(body: bytes)
        #expect(binary.body == bytes)
        #expect(binary.text.unicodeScalars.contains("\u{FFFD}"))
    }
}

@Suite struct EnvironmentTests {
    @Test func printingAnEnvironmentShowsKeysNotValues() {
        let env = Environment(["API_KEY": "s3cr3t", "MODE": "dev"])
        #expect(env["API_KEY"] == "s3cr3t")
        for text in [
            "\(env)", String(reflecting: env), String(describing: Mirror(reflecting: env).children.map(\.value)),
        ] {
            #expect(!text.contains("s3cr3t"), "\(text)")
        }
        var dumped = ""
        dump(env, to: &dumped)
        #expect(!dumped.contains("s3cr3t"))
        #expect(dumped.contains("API_KEY"))
    }
}
