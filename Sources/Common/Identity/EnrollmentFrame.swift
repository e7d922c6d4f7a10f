internal import CJansson
#if canImport(Glibc)
import Glibc
#endif

/// The `machine_add` admin frame that enrols a public key (PROTOCOL.md §4.2, §6.7), as one compact JSON line
/// with `type` first, built with jansson like every JSON text of the project.
enum EnrollmentFrame {
    /// `{"type":"admin","op":"machine_add","name":NAME,"pubkey":B64U}`.
    static func jsonLine(machineName: String, publicKey: PublicKey) -> String {
        let object = json_object()!
        defer { json_decref(object) }
        for (member, value) in [
            ("type", "admin"), ("op", "machine_add"), ("name", machineName), ("pubkey", publicKey.text),
        ] {
            // Insertion order is output order in jansson 2.8+ without JSON_SORT_KEYS.
            json_object_set_new(object, member, json_stringn(value, value.utf8.count))
        }
        guard let text = json_dumps(object, size_t(JSON_COMPACT)) else {
            preconditionFailure("jansson could not serialise a string-only object")
        }
        defer { free(text) }
        return String(cString: text)
    }
}
