package steps

// ExplainWait lets the unit tests explain a wait without a lab.
var ExplainWait = explainWait
