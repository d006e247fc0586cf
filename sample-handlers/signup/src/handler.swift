import EdgeSDK
import Validation

struct Signup: Decodable {
    var name: String?
    var email: String?
}

/// POST /signup {"name": "...", "email": "..."}: 201, or a 400 from the shared `Validation` module.
func handle(_ ctx: Context, _ req: Request) throws -> Response {
    let input = try req.json(Signup.self)
    let name = try Validate.text(input.name, field: "name", maxLength: 80)
    let email = try Validate.email(input.email)
    ctx.log("signed up \(email)")
    return .created(["welcome": name, "email": email])
}
