package content

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// expectedLessons is the curriculum this package must ship: every topic of
// the seed notes, with the scenario ids the scenario authors use.
var expectedLessons = []struct {
	slug      string
	domain    string
	scenarios []string
}{
	{"taints-and-tolerations", "workloads-and-scheduling", []string{"taint-toleration"}},
	{"quota-limitrange-resources", "workloads-and-scheduling", []string{"quota-vs-limitrange", "deployment-quota-blocked"}},
	{"rbac", "cluster-architecture", []string{"rbac-deployer", "rbac-cluster-reader", "rbac-aggregate-view", "serviceaccount-no-token", "csr-user-access"}},
	{"storage-local-volumes", "storage", []string{"local-storage", "default-storageclass"}},
	{"persistent-volumes", "storage", []string{"pv-reclaim-access"}},
	{"daemonsets", "workloads-and-scheduling", []string{"daemonset-everywhere"}},
	{"cordon-and-drain", "cluster-architecture", []string{"drain-worker", "pdb-blocks-drain"}},
	{"kubeconfig", "cluster-architecture", []string{"kubeconfig-context", "csr-user-access"}},
	{"kubeadm-bootstrap", "cluster-architecture", []string{"kubeadm-certs"}},
	{"container-runtime", "cluster-architecture", []string{"node-notready", "crictl-inspect"}},
	{"static-pods", "cluster-architecture", []string{"static-pod", "controlplane-broken"}},
	{"network-policies", "services-and-networking", []string{"netpol-deny-ingress", "netpol-cross-namespace"}},
	{"etcd-backup-restore", "cluster-architecture", []string{"etcd-backup", "etcd-restore"}},
	{"node-troubleshooting", "troubleshooting", []string{"kubelet-broken"}},
	{"metrics-server", "troubleshooting", []string{"metrics-server"}},
	{"pod-security", "workloads-and-scheduling", []string{"pod-security-restricted"}},
	{"priority-preemption", "workloads-and-scheduling", []string{"priority-preemption"}},
	{"deployments-rollouts", "workloads-and-scheduling", []string{"rollout-rollback", "deployment-rolling-strategy"}},
	{"services-and-endpoints", "services-and-networking", []string{"service-no-endpoints", "service-nodeport"}},
	{"loadbalancer-services", "services-and-networking", []string{"service-loadbalancer"}},
	{"node-affinity-and-spread", "workloads-and-scheduling", []string{"node-affinity-spread", "pod-anti-affinity"}},
	{"storageclass-reclaim-and-volume-modes", "storage", []string{"pvc-access-modes-storageclass"}},
	{"configmaps-secrets", "workloads-and-scheduling", []string{"configmap-secret-config", "secret-volume-env"}},
	{"autoscaling", "workloads-and-scheduling", []string{"hpa-autoscale", "hpa-behavior"}},
	{"jobs-cronjobs", "workloads-and-scheduling", []string{"job-cronjob", "job-failing"}},
	{"crds-operators", "cluster-architecture", []string{"crd-custom-resource", "crd-validation-versions"}},
	{"ingress", "services-and-networking", []string{"ingress-rules"}},
	{"pvc-expansion", "storage", []string{"pvc-expand"}},
	{"pending-pods", "troubleshooting", []string{"pod-pending", "pvc-pending"}},
	{"rbac-troubleshooting", "cluster-architecture", []string{"rbac-forbidden"}},
	{"gateway-api", "services-and-networking", []string{"gateway-httproute"}},
	{"runtime-classes", "cluster-architecture", []string{"runtimeclass-handler"}},
	{"coredns", "services-and-networking", []string{"coredns-broken"}},
	{"pod-networking", "services-and-networking", []string{"pod-connectivity"}},
	{"init-and-sidecar-containers", "workloads-and-scheduling", []string{"sidecar-init-containers"}},
	{"statefulsets", "workloads-and-scheduling", []string{"statefulset-headless"}},
	{"kustomize", "cluster-architecture", []string{"kustomize-overlay", "kustomize-generators"}},
	{"kubeadm-ha", "cluster-architecture", []string{"kubeadm-ha-config"}},
	{"external-services", "services-and-networking", []string{"service-external-endpoints"}},
	{"storageclass-binding", "storage", []string{"storageclass-binding-mode"}},
	{"claim-binding", "storage", []string{"pv-static-binding"}},
	{"stuck-workloads", "troubleshooting", []string{"deployment-not-rolling-out", "job-failing", "admission-policy-denied"}},
}

func mustLessons(t *testing.T) []Lesson {
	t.Helper()
	lessons, err := Lessons()
	if err != nil {
		t.Fatalf("Lessons() error: %v", err)
	}
	if len(lessons) == 0 {
		t.Fatal("Lessons() returned no lessons")
	}
	return lessons
}

func bySlug(lessons []Lesson) map[string]Lesson {
	m := map[string]Lesson{}
	for _, l := range lessons {
		m[l.Slug] = l
	}
	return m
}

func TestExpectedLessons(t *testing.T) {
	got := bySlug(mustLessons(t))
	if len(got) != len(expectedLessons) {
		var names []string
		for s := range got {
			names = append(names, s)
		}
		slices.Sort(names)
		t.Errorf("got %d lessons %v, want %d", len(got), names, len(expectedLessons))
	}
	for _, tc := range expectedLessons {
		t.Run(tc.slug, func(t *testing.T) {
			l, ok := got[tc.slug]
			if !ok {
				t.Fatalf("lesson %q missing", tc.slug)
			}
			if l.Domain != tc.domain {
				t.Errorf("domain = %q, want %q", l.Domain, tc.domain)
			}
			if !slices.Equal(l.Scenarios, tc.scenarios) {
				t.Errorf("scenarios = %q, want %q", l.Scenarios, tc.scenarios)
			}
		})
	}
}

func TestLessonFields(t *testing.T) {
	lessons := mustLessons(t)
	slugs := map[string]bool{}
	titles := map[string]bool{}
	for _, l := range lessons {
		t.Run(l.Slug, func(t *testing.T) {
			if l.Slug == "" || l.Title == "" || l.Summary == "" || l.Domain == "" || l.Body == "" {
				t.Fatalf("empty field in %+v", l)
			}
			if !regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(l.Slug) {
				t.Errorf("slug %q is not kebab-case", l.Slug)
			}
			if slugs[l.Slug] {
				t.Errorf("duplicate slug %q", l.Slug)
			}
			slugs[l.Slug] = true
			if titles[l.Title] {
				t.Errorf("duplicate title %q", l.Title)
			}
			titles[l.Title] = true
			if !slices.Contains(Domains(), l.Domain) {
				t.Errorf("domain %q not in %v", l.Domain, Domains())
			}
			if l.Scenarios == nil {
				t.Error("Scenarios is nil, want a non-nil slice")
			}
			if !strings.HasSuffix(l.Summary, ".") || strings.Count(l.Summary, ". ") > 0 {
				t.Errorf("summary should be one sentence ending with a period: %q", l.Summary)
			}
			got, err := Get(l.Slug)
			if err != nil {
				t.Fatalf("Get(%q): %v", l.Slug, err)
			}
			if got.Title != l.Title || got.Body != l.Body || !slices.Equal(got.Scenarios, l.Scenarios) {
				t.Errorf("Get(%q) differs from the Lessons() entry", l.Slug)
			}
		})
	}
}

func TestLessonsSorted(t *testing.T) {
	lessons := mustLessons(t)
	rank := domainRank()
	less := func(a, b Lesson) bool {
		if rank[a.Domain] != rank[b.Domain] {
			return rank[a.Domain] < rank[b.Domain]
		}
		if a.Title != b.Title {
			return a.Title < b.Title
		}
		return a.Slug < b.Slug
	}
	for i := 1; i < len(lessons); i++ {
		if less(lessons[i], lessons[i-1]) {
			t.Errorf("lesson %q sorts before %q but comes after it", lessons[i].Slug, lessons[i-1].Slug)
		}
	}
}

func TestSeedScenariosLinkedOnce(t *testing.T) {
	lessons := mustLessons(t)
	for _, tc := range []struct{ id, slug string }{
		{"taint-toleration", "taints-and-tolerations"},
		{"quota-vs-limitrange", "quota-limitrange-resources"},
		{"rbac-deployer", "rbac"},
		{"local-storage", "storage-local-volumes"},
		{"daemonset-everywhere", "daemonsets"},
		{"drain-worker", "cordon-and-drain"},
		{"kubeconfig-context", "kubeconfig"},
		{"static-pod", "static-pods"},
		{"controlplane-broken", "static-pods"},
		{"kubelet-broken", "node-troubleshooting"},
		{"node-notready", "container-runtime"},
		{"service-no-endpoints", "services-and-endpoints"},
		{"netpol-deny-ingress", "network-policies"},
		{"netpol-cross-namespace", "network-policies"},
		{"metrics-server", "metrics-server"},
		{"kubeadm-certs", "kubeadm-bootstrap"},
		{"crictl-inspect", "container-runtime"},
		{"etcd-backup", "etcd-backup-restore"},
		{"etcd-restore", "etcd-backup-restore"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			var linking []string
			for _, l := range lessons {
				if slices.Contains(l.Scenarios, tc.id) {
					linking = append(linking, l.Slug)
				}
			}
			if !slices.Equal(linking, []string{tc.slug}) {
				t.Errorf("scenario %q linked by %v, want exactly [%s]", tc.id, linking, tc.slug)
			}
			got, err := ForScenario(tc.id)
			if err != nil {
				t.Fatalf("ForScenario: %v", err)
			}
			if len(got) != 1 || got[0].Slug != tc.slug {
				t.Errorf("ForScenario(%q) = %d lessons, want [%s]", tc.id, len(got), tc.slug)
			}
		})
	}
	got, err := ForScenario("no-such-scenario")
	if err != nil || len(got) != 0 {
		t.Errorf("ForScenario(unknown) = %v, %v; want empty, nil", got, err)
	}
}

func TestGetUnknown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		slug    string
		want    []string // substrings the error must contain
		notWant []string
	}{
		{"fragment", "taint", []string{`"taint"`, "did you mean", "taints-and-tolerations"}, []string{"kubeconfig"}},
		{"typo", "rbca", []string{"did you mean", "rbac"}, []string{"daemonsets"}},
		{"typo long", "daemonset", []string{"did you mean", "daemonsets"}, nil},
		{"nothing close", "zzzzzzzz", []string{"valid lessons", "rbac", "kubeconfig", "metrics-server"}, nil},
		{"empty", "", []string{"not found", "valid lessons"}, nil},
		{"path", "../content", []string{"not found"}, nil},
		{"with extension", "rbac.md", []string{"rbac"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Get(tc.slug)
			if err == nil {
				t.Fatalf("Get(%q) succeeded, want an error", tc.slug)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q should not suggest %q", err, w)
				}
			}
		})
	}
}

// codeBlock matches fenced code blocks; group 1 is the info string, group 2
// the content.
var codeBlock = regexp.MustCompile("(?s)```([a-z]*)\n(.*?)```")

// prose drops fenced code blocks and inline code, leaving the sentences.
func prose(body string) string {
	body = codeBlock.ReplaceAllString(body, "\n")
	return regexp.MustCompile("`[^`\n]*`").ReplaceAllString(body, " ")
}

func TestLessonBodies(t *testing.T) {
	// Words that are common in French and do not occur as English words; a
	// crude check that the seed notes were rewritten, not pasted.
	french := []string{
		"le", "la", "les", "c", "cest", "ca", "est", "une", "des", "du", "pas",
		"dans", "pour", "avec", "qui", "que", "mais", "sur", "et", "ou", "noeud",
		"kil", "ke", "aussi", "alors", "parce",
	}
	// Node names of other labs; lessons use the ckalab-* names.
	foreignNodes := []string{"kind-control-plane", "kind-worker", "node01", "node-102", "controlplane "}

	for _, l := range mustLessons(t) {
		t.Run(l.Slug, func(t *testing.T) {
			lines := strings.Count(l.Body, "\n") + 1
			if lines < 60 || lines > 160 {
				t.Errorf("body has %d lines, want 60 to 160", lines)
			}
			for _, h := range []string{"## Pitfalls", "## Check yourself"} {
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(h) + `\s*$`).MatchString(l.Body) {
					t.Errorf("body lacks a %q heading", h)
				}
			}
			if !strings.HasPrefix(l.Body, "# ") {
				t.Errorf("body should start with a level-1 heading")
			}
			for i, r := range l.Body {
				if r > 126 || (r < 32 && r != '\n') {
					t.Errorf("non-ASCII or control character %q at byte %d (no emojis, no accents)", r, i)
					break
				}
			}
			if !strings.Contains(l.Body, "```yaml\n") {
				t.Error("body has no yaml example")
			}
			if strings.Count(l.Body, "```")%2 != 0 {
				t.Error("unbalanced code fences")
			}
			// Case-sensitive on purpose: "CA" (certificate authority) is
			// English, "ca" is not.
			words := strings.FieldsFunc(prose(l.Body), func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '\'')
			})
			for _, w := range words {
				if slices.Contains(french, w) {
					t.Errorf("French-looking word %q in the prose", w)
				}
			}
			for _, n := range foreignNodes {
				if strings.Contains(l.Body, n) {
					t.Errorf("body mentions node %q; use ckalab-control-plane, ckalab-worker, ckalab-worker2", n)
				}
			}
			if !strings.Contains(l.Body, "kubectl") {
				t.Error("body shows no kubectl command")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const file = "lessons/sample.md"
	body := "\n# Sample\n\nText.\n"
	for _, tc := range []struct {
		name string
		data string
		want string
	}{
		{"no front matter", "# Title\n", "missing front matter"},
		{"not closed", "---\ntitle: x\n", "not closed"},
		{"empty front matter", "---\n---\n" + body, "missing domain, scenarios, summary, title"},
		{"unknown key", "---\ntitle: T\nsummary: S.\ndomain: storage\nscenarios: []\nlevel: easy\n---\n" + body, "level"},
		{"duplicate key", "---\ntitle: T\ntitle: U\nsummary: S.\ndomain: storage\nscenarios: []\n---\n" + body, "title"},
		{"missing title", "---\nsummary: S.\ndomain: storage\nscenarios: []\n---\n" + body, "missing title"},
		{"blank summary", "---\ntitle: T\nsummary: \"  \"\ndomain: storage\nscenarios: []\n---\n" + body, "missing summary"},
		{"missing domain and scenarios", "---\ntitle: T\nsummary: S.\n---\n" + body, "missing domain, scenarios"},
		{"bad domain", "---\ntitle: T\nsummary: S.\ndomain: networking\nscenarios: []\n---\n" + body, `domain "networking"`},
		{"scenarios not a list", "---\ntitle: T\nsummary: S.\ndomain: storage\nscenarios: abc\n---\n" + body, "front matter"},
		{"empty scenario id", "---\ntitle: T\nsummary: S.\ndomain: storage\nscenarios: [\"\"]\n---\n" + body, "empty scenario"},
		{"repeated scenario", "---\ntitle: T\nsummary: S.\ndomain: storage\nscenarios: [a, a]\n---\n" + body, "listed twice"},
		{"empty body", "---\ntitle: T\nsummary: S.\ndomain: storage\nscenarios: []\n---\n\n", "body is empty"},
		{"indented key", "---\ntitle: T\n  summary: S.\ndomain: storage\nscenarios: []\n---\n" + body, "line 2"},
		{"not a key line", "---\ntitle: T\nsummary S.\ndomain: storage\nscenarios: []\n---\n" + body, "line 2"},
		{"colon in plain value", "---\ntitle: T: U\nsummary: S.\ndomain: storage\nscenarios: []\n---\n" + body, "mapping values are not allowed"},
		{"list as title", "---\ntitle: [a]\nsummary: S.\ndomain: storage\nscenarios: []\n---\n" + body, "got a list, want a string"},
		{"unclosed flow list", "---\ntitle: T\nsummary: S.\ndomain: storage\nscenarios: [a, b\n---\n" + body, "did not find expected"},
		{"bad quotes", "---\ntitle: \"T\nsummary: S.\ndomain: storage\nscenarios: []\n---\n" + body, "unexpected end of stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(file, []byte(tc.data))
			if err == nil {
				t.Fatal("parse succeeded, want an error")
			}
			if !strings.Contains(err.Error(), file) {
				t.Errorf("error %q does not name the file", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestParseFrontMatterForms(t *testing.T) {
	for _, tc := range []struct {
		name      string
		head      string
		title     string
		scenarios []string
	}{
		{"flow list", "title: Plain title\nscenarios: [a, 'b', \"c\"]", "Plain title", []string{"a", "b", "c"}},
		{"empty flow list", "title: T\nscenarios: []", "T", []string{}},
		{"block list and comments", "# comment\ntitle: T # trailing\n\nscenarios:\n  - a\n  - b # note\n", "T", []string{"a", "b"}},
		{"quoted title", "title: \"Taints: and # tolerations\"\nscenarios: []", "Taints: and # tolerations", []string{}},
		{"single quotes", "title: 'It''s here'\nscenarios: []", "It's here", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := "---\n" + tc.head + "\nsummary: S.\ndomain: storage\n---\n# Body\n"
			l, err := parse("lessons/x.md", []byte(data))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if l.Title != tc.title || !slices.Equal(l.Scenarios, tc.scenarios) {
				t.Errorf("got title %q scenarios %q, want %q %q", l.Title, l.Scenarios, tc.title, tc.scenarios)
			}
		})
	}
}

func TestParseOK(t *testing.T) {
	data := "---\r\ntitle: Sample\r\nsummary: A sample.\r\ndomain: storage\r\nscenarios: [a-b, c]\r\n---\r\n\r\n# Sample\r\n\r\nText.\r\n"
	l, err := parse("lessons/sample.md", []byte(data))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := Lesson{Slug: "sample", Title: "Sample", Summary: "A sample.", Domain: "storage",
		Scenarios: []string{"a-b", "c"}, Body: "# Sample\n\nText.\n"}
	if l.Slug != want.Slug || l.Title != want.Title || l.Summary != want.Summary ||
		l.Domain != want.Domain || !slices.Equal(l.Scenarios, want.Scenarios) || l.Body != want.Body {
		t.Errorf("parse = %+v, want %+v", l, want)
	}
}
