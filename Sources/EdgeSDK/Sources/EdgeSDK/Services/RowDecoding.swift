/// Rows into `Decodable` values by column name: `struct Note: Decodable { var id: Int; var
/// title: String }` from `SELECT id, title FROM notes`. A one-column row also decodes as a plain
/// value (`query("SELECT count(*) FROM notes", as: Int.self)`).
///
/// INTEGER decodes as any integer type, `Double` or `Bool` (0 is false); REAL as `Double` or
/// `Float`; TEXT as `String`; BLOB as `[UInt8]`; NULL as nil. Anything else is an error naming
/// the column and the statement.
enum RowDecoding {
    static func decode<Row: Decodable>(_ type: Row.Type, _ rows: SQLRows, statement: String) throws -> [Row] {
        var index: [String: Int] = [:]
        for (position, column) in rows.columns.enumerated() where index[column] == nil { index[column] = position }
        do {
            return try rows.rows.map { values in
                try Row(from: RowDecoder(columns: rows.columns, index: index, values: values, statement: statement))
            }
        } catch let error as DecodingError {
            // The decoder's own words (which column, which type, which statement), not Swift's
            // generic rendering of a DecodingError.
            let detail: String =
                switch error {
                case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
                    .dataCorrupted(let context):
                    context.debugDescription
                @unknown default: "\(error)"
                }
            throw HandlerError.internal("rows do not decode as \(Row.self): \(detail)")
        }
    }
}

private struct RowDecoder: Decoder {
    let columns: [String]
    let index: [String: Int]
    let values: [SQLValue]
    let statement: String
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(
            [Any].self, .init(codingPath: codingPath, debugDescription: "a row decodes by column name, not as a list"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard values.count == 1 else {
            throw DecodingError.typeMismatch(
                Any.self,
                .init(
                    codingPath: codingPath,
                    debugDescription: "a row of \(values.count) columns decodes into a type with named fields, "
                        + "not a single value (in `\(statement)`)"))
        }
        return ColumnValue(value: values[0], column: columns[0], statement: statement, codingPath: codingPath)
    }

    func value(for key: some CodingKey) throws -> ColumnValue {
        guard let position = index[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key,
                .init(
                    codingPath: codingPath,
                    debugDescription: "no column '\(key.stringValue)' in the result of `\(statement)` (columns: "
                        + "\(columns.joined(separator: ", ")))"))
        }
        return ColumnValue(
            value: values[position], column: key.stringValue, statement: statement, codingPath: codingPath + [key])
    }
}

private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: RowDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { decoder.columns.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { decoder.index[key.stringValue] != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard contains(key) else { return true }
        return try decoder.value(for: key).decodeNil()
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.value(for: key).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        throw try decoder.value(for: key).mismatch("a nested value")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw try decoder.value(for: key).mismatch("a list")
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
}

/// One column's value, decoded as the field's type.
private struct ColumnValue: SingleValueDecodingContainer {
    let value: SQLValue
    let column: String
    let statement: String
    var codingPath: [any CodingKey]

    func mismatch(_ wanted: String) -> DecodingError {
        let kind =
            switch value {
            case .null: "NULL"
            case .integer: "INTEGER"
            case .real: "REAL"
            case .text: "TEXT"
            case .blob: "BLOB"
            }
        return DecodingError.typeMismatch(
            Any.self,
            .init(
                codingPath: codingPath,
                debugDescription: "column '\(column)' is \(kind), not \(wanted) (in `\(statement)`)"))
    }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .integer(let number) = value else { throw mismatch("a Bool") }
        return number != 0
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .text(let text) = value else { throw mismatch("a String") }
        return text
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch value {
        case .real(let number): return number
        case .integer(let number): return Double(number)
        default: throw mismatch("a Double")
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .integer(let number) = value else { throw mismatch("an integer") }
        guard let exact = T(exactly: number) else { throw mismatch("a \(T.self) (\(number) is out of range)") }
        return exact
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == [UInt8].self {
            guard case .blob(let bytes) = value else { throw mismatch("bytes") }
            return bytes as! T
        }
        if value == .null {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath, debugDescription: "column '\(column)' is NULL"))
        }
        // Types that decode from one value (enums with raw values, wrappers) come back here.
        return try T(from: SingleColumnDecoder(column: self))
    }
}

private struct SingleColumnDecoder: Decoder {
    let column: ColumnValue
    var codingPath: [any CodingKey] { column.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw column.mismatch("a nested value")
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw column.mismatch("a list") }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { column }
}
