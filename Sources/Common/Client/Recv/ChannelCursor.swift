/// The `--cursor FILE` of a `conclave-recv` that reads channels on a link: the watermark of each channel as
/// loaded, moved on as records are printed and saved after each move. Channels in FILE that this run does not
/// follow are kept as they were, so one FILE can serve runs on different channels.
final class ChannelCursor {
    private let file: CursorFile
    private let server: String
    private var watermarks: [String: ChannelWatermark] = [:]
    /// FILE held a position of this server: `--since` no longer applies.
    let isResuming: Bool

    /// Takes the position in `file`, if it holds one for `server`; a spool position is an error, another
    /// server's watermarks are replaced with a warning.
    init(file: CursorFile, server: String, warn: (String) -> Void) throws(RecvError) {
        self.file = file
        self.server = server
        guard !file.contents.isEmpty else {
            isResuming = false
            return
        }
        switch RecvCursor(parsing: file.contents) {
        case nil:
            throw RecvError(.dataError, "\(file.path) is not a conclave-recv cursor")
        case .spool?:
            throw RecvError(.usage, "\(file.path) holds a position in a spool: use it with -i FILE")
        case let .channels(saved, watermarks)?:
            guard saved == server else {
                warn("\(file.path) was saved for \(saved), not \(server): starting again")
                isResuming = false
                return
            }
            self.watermarks = watermarks
            isResuming = true
        }
    }

    /// Where `channel` stood at the end of the last run, if it was followed then.
    func saved(_ channel: String) -> ChannelWatermark? { isResuming ? watermarks[channel] : nil }

    /// `channel` is now at `watermark`: saved unless it was there already.
    func advance(_ channel: String, to watermark: ChannelWatermark) throws(RecvError) {
        guard watermarks[channel] != watermark else { return }
        watermarks[channel] = watermark
        try file.save(RecvCursor.channels(server: server, watermarks: watermarks).jsonLine)
    }
}
