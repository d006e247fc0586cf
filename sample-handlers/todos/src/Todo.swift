struct Todo: Codable, Sendable {
    var id: Int
    var title: String
    var done: Bool
}

/// What a client sends to create a todo.
struct NewTodo: Decodable {
    var title: String
    var done: Bool?
}
