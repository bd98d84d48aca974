import MoMAuditCommands

// A thin shell: everything lives in MoMAuditCommands and MoMAuditKit.
Entry.ingest()
