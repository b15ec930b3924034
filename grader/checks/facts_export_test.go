package checks

// DateRenderings is dateRenderings, for the tests of the certificate fact.
var DateRenderings = dateRenderings
