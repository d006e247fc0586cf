import EdgeSDK
import Validation

struct Message: Decodable {
    var email: String?
    var message: String?
}

/// POST /contact {"email": "...", "message": "..."}: 202, with the same rules as /signup (the
/// shared `Validation` module).
func handle(_ ctx: Context, _ req: Request) throws -> Response {
    let input = try req.json(Message.self)
    let email = try Validate.email(input.email)
    let message = try Validate.text(input.message, field: "message", maxLength: 2000)
    ctx.log("message from \(email): \(message.count) characters")
    return Response.json(["received": "true"], status: 202)
}
