import EdgeSDK
import Testing

@Suite struct ResponseTests {
    struct Item: Encodable { var id: Int; var name: String }

    @Test func constructorsSetStatusTypeAndBody() {
        let text = Response.text("hi", status: 202)
        #expect(text.status == 202 && text.bodyText == "hi")
        #expect(text.headers["content-type"] == "text/plain; charset=utf-8")

        let json = Response.json(Item(id: 1, name: "a/b"))
        #expect(json.status == 200 && json.bodyText == #"{"id":1,"name":"a/b"}"#)
        #expect(json.headers["Content-Type"] == "application/json")

        #expect(Response.html("<p>x</p>", status: 404).headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(Response.ok(["hello": "world"]).bodyText == #"{"hello":"world"}"#)
        let created = Response.created(Item(id: 2, name: "b"), location: "/items/2")
        #expect(created.status == 201 && created.headers["Location"] == "/items/2")
        #expect(Response.noContent.status == 204 && Response.noContent.body.isEmpty)
        #expect(Response.redirect(to: "/x").status == 302 && Response.redirect(to: "/x").headers["Location"] == "/x")
        #expect(Response.bytes([1, 2], contentType: "image/png").headers["Content-Type"] == "image/png")
        let raw = Response(status: 418, headers: ["X-A": "1"], body: [1, 2, 3])
        #expect(raw.withHeader("X-B", "2").headers.count == 2)
    }

    @Test(arguments: [
        (HandlerError.badRequest("m"), 400, "bad_request"), (.validation("m"), 400, "validation_error"),
        (.unauthorized("m"), 401, "unauthorized"), (.forbidden("m"), 403, "forbidden"),
        (.notFound("m"), 404, "not_found"), (.methodNotAllowed("m"), 405, "method_not_allowed"),
        (.conflict("m"), 409, "conflict"), (.payloadTooLarge("m"), 413, "payload_too_large"),
        (.internal("m"), 500, "internal_error"), (.serviceUnavailable("m"), 503, "service_unavailable"),
    ])
    func handlerErrorsMapToJSONResponses(error: HandlerError, status: Int, code: String) {
        let response = error.response
        #expect(response.status == status)
        #expect(response.bodyText == #"{"error":"\#(code)","message":"m","status":\#(status)}"#)
    }

    struct Oops: Error, CustomStringConvertible { var description: String { "disk on fire" } }

    @Test func entryTurnsThrownErrorsIntoResponses() async {
        let context = Context(endpointID: "t", version: 1, requestID: "r")
        let notFound = HandlerEntry { _, _ in throw HandlerError.notFound("no such thing") }
        #expect(await notFound.respond(to: Request(), context: context).status == 404)
        let other = HandlerEntry { _, _ in throw Oops() }
        let response = await other.respond(to: Request(), context: context)
        #expect(response.status == 500)
        #expect(response.bodyText.contains("disk on fire"))
        let fine = HandlerEntry { request in .text(request.method) }
        #expect(await fine.respond(to: Request(method: "PUT"), context: context).bodyText == "PUT")
    }
}
