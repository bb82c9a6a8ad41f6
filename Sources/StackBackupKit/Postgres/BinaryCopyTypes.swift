/// Which column types a dump copies in binary COPY format, and why that is
/// safe for each. A table is copied in binary only when every column's type
/// is listed here; anything else (including every other extension's type and
/// every domain) stays text, whose format PostgreSQL keeps stable by design.
///
/// Binary COPY sends each value through the type's `send` function and loads
/// it through `recv` on the target, so a type is safe when its wire format
/// does not depend on the server version, the encoding or the database
/// (arrays embed their element type's oid: only arrays of built-in types,
/// whose oids are fixed, are listed).
enum BinaryCopyTypes {
    struct BuiltIn {
        let oid: Int64
        let name: String
        let why: String
    }

    /// Built-in types, by their fixed oids.
    static let builtIn: [BuiltIn] = [
        .init(oid: 16, name: "bool", why: "one byte 0/1"),
        .init(oid: 17, name: "bytea", why: "the raw bytes"),
        .init(oid: 20, name: "int8", why: "8-byte big-endian integer"),
        .init(oid: 21, name: "int2", why: "2-byte big-endian integer"),
        .init(oid: 23, name: "int4", why: "4-byte big-endian integer"),
        .init(oid: 700, name: "float4", why: "IEEE 754 single, big-endian: exact, no text formatting"),
        .init(oid: 701, name: "float8", why: "IEEE 754 double, big-endian: exact, no text formatting"),
        .init(oid: 1082, name: "date", why: "days since 2000-01-01 as int4"),
        .init(oid: 1114, name: "timestamp", why: "microseconds since 2000-01-01 as int8 (integer datetimes, the only kind since PostgreSQL 10)"),
        .init(oid: 1184, name: "timestamptz", why: "microseconds since 2000-01-01 UTC as int8, independent of TimeZone"),
        .init(oid: 2950, name: "uuid", why: "the 16 bytes"),
        .init(oid: 1000, name: "bool[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1001, name: "bytea[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1005, name: "int2[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1007, name: "int4[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1016, name: "int8[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1021, name: "float4[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1022, name: "float8[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1182, name: "date[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1115, name: "timestamp[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 1185, name: "timestamptz[]", why: "array of a listed built-in type (fixed element oid)"),
        .init(oid: 2951, name: "uuid[]", why: "array of a listed built-in type (fixed element oid)"),
    ]

    struct ExtensionType {
        /// `pg_extension.extname` that owns the type (pg_depend 'e'), never a guess from the name alone.
        let extensionName: String
        let typeName: String
        let why: String
    }

    /// Extension types, recognised by the owning extension and the type's
    /// name (their oids differ from database to database). pgvecto.rs
    /// (extension `vectors`, type `vectors.vector`) has another binary format
    /// and is deliberately absent; VectorChord (`vchord`) stores pgvector's
    /// own `vector` type, which belongs to the `vector` extension.
    static let extensionTypes: [ExtensionType] = [
        .init(extensionName: "vector", typeName: "vector",
              why: "pgvector vector_send: int16 dim, int16 unused, dim float4 big-endian; vector_recv checks dim and finiteness; unchanged since 0.1"),
        .init(extensionName: "vector", typeName: "halfvec",
              why: "pgvector halfvec_send (0.7.0+): int16 dim, int16 unused, dim IEEE half floats; halfvec_recv checks them"),
        .init(extensionName: "vector", typeName: "sparsevec",
              why: "pgvector sparsevec_send (0.7.0+): int32 dim, nnz, unused, nnz int32 indices, nnz float4 values; sparsevec_recv checks order and bounds"),
    ]

    static let builtInOIDs: Set<Int64> = Set(builtIn.map(\.oid))

    /// Whether a column of this type may be copied in binary.
    /// `extensionName` is the extension owning the type, nil for none.
    static func isSafe(typeOID: Int64, typeName: String, extensionName: String?) -> Bool {
        if builtInOIDs.contains(typeOID) { return true }
        guard let extensionName else { return false }
        return extensionType(extensionName: extensionName, typeName: typeName) != nil
    }

    static func extensionType(extensionName: String, typeName: String) -> ExtensionType? {
        extensionTypes.first { $0.extensionName == extensionName && $0.typeName == typeName }
    }
}
