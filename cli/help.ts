/** The commands' `--help` texts (cli/main.ts prints them). */
const STORE_HELP = `  --data DIR          embedded store directory (default ./data, or $MAILTRACE_DATA)
  --clickhouse URL    use a ClickHouse server instead (or $MAILTRACE_CLICKHOUSE_URL)`;

export const HELP: Record<string, string> = {
  main: `mailtrace — reconstruct each message's path across mail servers, with TLS per hop

usage: mailtrace <command> [options]

commands:
  ingest <file|dir|->...   parse mail logs and delivered messages into the store
  serve                    serve the API and dashboard
  sink                     store and stitch the events a Kafka topic carries (a consumer group member)
  syslog --listen URL,…    receive forwarded syslog (UDP, TCP, TLS) into the store or the stream
  journal                  follow the systemd journal (its cursor the checkpoint) into the store or the stream
  db init [--cluster NAME] create the store's tables (on a ClickHouse cluster: replicated + Distributed)
  trace <id>               show one message's path (message-id or queue id)
  token new|hash           make an API token, or the SHA-256 the config file keeps of one
  policy check             check the TLS policy of the config file now (alerts once per incident)
  report <kind>            write (and mail) a report over a period: tls-compliance,
                           delivery-failures, protection-coverage, volume-summary
  demo                     ingest the bundled sample (once) and serve the dashboard

Run \`mailtrace <command> --help\` for a command's options.`,
  ingest: `usage: mailtrace ingest <file|dir|->... [options]

Reads Postfix maillog files (plain or .gz; - for standard input), Exchange message tracking and
SMTP protocol logs and Exchange Online message trace exports (directories recursively; each
file's format is detected from its first lines), correlates them and stores the events. Files already ingested are skipped; a file
that grew since is read on from where the last run stopped.
Delivered messages are read beside the logs: .eml files, maildir folders, mbox files and Outlook
.msg files. Their Received headers join the logged path of the message (hops seen in a log and a
header, or only in a header) and their MIME structure gives its protection (S/MIME, PGP, IRM).

options:
  --format auto|postfix|exchange|journal  input format (default auto: detected from each file's
                         first lines; journal is \`journalctl -o json\` output, needed for stdin)
  --force                read files again even if already ingested (events are not duplicated)
  --workers N            threads parsing Postfix logs, a host's lines in one (default: a thread per core, up to 8, for 32 MiB+)
  --date-format mdy|dmy  day/month order of culture-formatted dates in Exchange Online CSV exports
                         (Windows PowerShell 5.1 Export-Csv writes the exporting machine's culture);
                         needed only when a date cannot tell, e.g. 9/5/2022 — ingest says so
${STORE_HELP}
  --kafka HOST:PORT[,…]  publish the events to Kafka instead of storing them (a \`mailtrace sink\`
                         stores them); a file counts as read once the brokers acknowledged it
  --topic NAME           the topic (default mailtrace.events; created with 6 partitions if missing)
  --state DIR            with --kafka: where this ingestor keeps its file checkpoints
                         (default ./mailtrace-state)
  --follow               keep reading the files and directories as they grow, like tail -F
                         (rotation by rename or copytruncate, new files in a followed folder;
                         .gz files in a followed folder are skipped as rotations), a run per
                         second that changed something; stop with Ctrl-C or SIGTERM. A restart
                         continues at the checkpoints
  -h, --help

Syslog stamps without a year get one from the file's modification time; stamps without a zone are
read as UTC unless MAILTRACE_TZ_OFFSET (minutes east of UTC) says otherwise.
An input that breaks (unreadable, vanished, truncated or corrupt .gz, a damaged zip entry, a log
that shrank while read) fails alone: MT_ERR_BAD_INPUT names it, the lines read before are kept,
and the run goes on with the other inputs.
Exit status: 0 when everything was read; 3 when the run finished but some inputs were bad;
1 when nothing could be read; 2 on a usage or configuration error.`,
  serve: `usage: mailtrace serve [options]

Serves the API (/api/messages, /api/messages/:id/trace, /api/summary, /api/views/*, /health;
described at /docs) and the dashboard.

options:
  --host HOST         address to bind (default 127.0.0.1; anything else requires $MAILTRACE_TOKEN
                      or tokens in the config file's access section)
  --port PORT         port (default 8080; 0 picks a free one)
  --follow PATH       follow growing logs into the store while serving (repeatable; as
                      \`mailtrace ingest --follow\`)
  --kafka HOST:PORT[,…]  also store and stitch what the stream carries, as a member of the
                      sink group (\`mailtrace sink\`; the way to run sink and API on one
                      embedded store)
  --topic NAME        with --kafka: the event topic (default mailtrace.events)
  --group NAME        with --kafka: the consumer group (default mailtrace-sink)
  --config FILE       the config file (JSON; default $MAILTRACE_CONFIG): API tokens with roles,
                      TLS policy (checked every five minutes), alerts, report schedules (run at
                      their cron times), the SMTP relay
${STORE_HELP}
  -h, --help`,
  trace: `usage: mailtrace trace <message-id|queue-id> [options]

Prints the message's path per recipient: every hop from the first client to the last server,
with its TLS state, times and the final status.

options:
  --json              print the trace as JSON
${STORE_HELP}
  -h, --help

While \`mailtrace serve\` owns the data directory, the trace is asked of the running server.`,
  sink: `usage: mailtrace sink --kafka HOST:PORT[,…] [options]

Joins a consumer group on the event topic, stores each batch of records, re-stitches the
messages they touched, and commits the batch's offsets only after both. A kill loses nothing:
the uncommitted batch comes again and is stored under the same event ids (counted once). A record
that cannot be stored goes to the dead-letter topic (<topic>.dead-letter) with its reason and
position; the records behind it go on. A failing store holds the batch and is retried.
Runs until SIGINT or SIGTERM, then finishes its batch and leaves the group.

options:
  --kafka HOST:PORT[,…]  the brokers
  --topic NAME           the event topic (default mailtrace.events)
  --group NAME           the consumer group (default mailtrace-sink); sinks in one group share
                         the partitions
  --port PORT            answer GET /health (200 when the store and the brokers answer, else
                         503) and GET /metrics (Prometheus text) on this port
  --host HOST            address for --port (default 127.0.0.1; anything else requires
                         $MAILTRACE_TOKEN, which /metrics then asks for)
  --session-timeout S    seconds the group waits for a member that stopped answering (killed)
                         before its partitions move to the others (default 30; 6 to 300)
${STORE_HELP}
  -h, --help`,
  syslog: `usage: mailtrace syslog --listen udp://HOST:PORT[,tcp://HOST:PORT][,tls://HOST:PORT] [options]

Receives the syslog that mail servers forward (rsyslog, syslog-ng, logger): over UDP one message
per datagram; over TCP and TLS octet-counted frames (RFC 6587, RFC 5425) or one message per line.
RFC 5424 and RFC 3164 messages. Each sender's messages are appended to its own file in the spool
folder, which is followed into the store (or published with --kafka) every second, like
\`ingest --follow\`: a restart continues where it stopped; nothing that reached the spool is lost.
Runs until SIGINT or SIGTERM. UDP itself may lose datagrams under load: prefer TCP.

options:
  --listen URL[,URL…]    udp://, tcp:// or tls:// HOST:PORT (port 0 picks a free one; the
                         addresses are printed)
  --tls-cert FILE        PEM certificate for tls:// (with --tls-key)
  --tls-key FILE         PEM private key for tls://
  --spool DIR            where received messages wait to be read (default ./mailtrace-syslog-spool);
                         a sender's file is closed at 64 MiB and deleted once read
  --kafka HOST:PORT[,…]  publish to the stream instead of storing (as \`ingest --kafka\`)
  --topic NAME           with --kafka: the topic (default mailtrace.events)
  --state DIR            with --kafka: where the checkpoints are kept (default ./mailtrace-state)
${STORE_HELP}
  -h, --help`,
  journal: `usage: mailtrace journal [--file FILE]… [--directory DIR] [--match FIELD=VALUE]… [options]

Follows the systemd journal, where modern distributions log Postfix: runs \`journalctl --follow
-o json\` and appends each entry to a spool file, which is followed into the store (or published
with --kafka) every second, like \`ingest --follow\`. The journal's cursor is the checkpoint: a
restart asks journalctl for the entries after the last one spooled, so nothing is read twice or
skipped. The first start reads every entry the journal still holds that matches. Runs until
SIGINT or SIGTERM; if journalctl ends by itself it is started again after the last entry read.

options:
  --match FIELD=VALUE    a journalctl match (repeatable; the same field ORed, different fields
                         ANDed); default SYSLOG_FACILITY=2, the mail facility Postfix logs to by
                         default — e.g. --match _SYSTEMD_UNIT=postfix@-.service
  --file FILE            read these journal files instead of the machine's journal (repeatable)
  --directory DIR        read the journal files in DIR (e.g. another machine's, or a
                         systemd-journal-remote folder)
  --spool DIR            where entries wait to be read, with the cursor (default
                         ./mailtrace-journal-spool); a file is closed at 64 MiB and deleted once read
  --kafka HOST:PORT[,…]  publish to the stream instead of storing (as \`ingest --kafka\`)
  --topic NAME           with --kafka: the topic (default mailtrace.events)
  --state DIR            with --kafka: where the checkpoints are kept (default ./mailtrace-state)
${STORE_HELP}
  -h, --help`,
  db: `usage: mailtrace db init [--cluster NAME] [--keeper-path PATH] [--print] [options]

Creates the store's tables, or brings them up to date (every statement is idempotent). Every
mailtrace process does this by itself at start on one ClickHouse server or the embedded store;
\`db init\` is for a ClickHouse cluster, where the processes only check the schema: with
--cluster NAME (a cluster of the servers' remote_servers), each table is created ON CLUSTER as a
replicated table \`T_local\` on every node and a Distributed table \`T\` over them, sharded so
that rows that replace one another meet on one shard. Run it again after upgrading mailtrace.
Needs the {shard} and {replica} macros and ClickHouse Keeper (or ZooKeeper) on the nodes.

options:
  --cluster NAME         the ClickHouse cluster
  --keeper-path PATH     where each shard's replicas meet in Keeper (default
                         /clickhouse/tables/{shard}; the database and table are appended)
  --print                write the SQL to standard output instead of running it
${STORE_HELP}
  -h, --help`,
  demo: `usage: mailtrace demo [options]

Ingests the bundled samples (bench/sample/maillog, a Postfix log, and bench/sample/exchange, an
Exchange organisation's log trees) once, then serves the dashboard.
Accepts the options of \`serve\`.`,
};
