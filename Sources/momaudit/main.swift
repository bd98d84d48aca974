import MoMAuditCommands

// A thin shell: everything lives in MoMAuditCommands and MoMAuditKit.
// Called by the name of a stage (a link, as `make dist` ships the other
// three), it is that stage.
Entry.byName()
