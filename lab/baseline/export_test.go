package baseline

// ProcScript is the node script that lists processes and what they hold
// open, for the fake nodes of the external tests to answer.
const ProcScript = procScript
