//! Who acted: the subject of the clause a match is in, told apart as a person (a name, a
//! role, a pronoun, a team), "we", or a thing (a machine, a document, an event).
//!
//! There is no parser here, only what word order gives away cheaply:
//! - walking back from the verb over auxiliaries, adverbs and determiners to the first word
//!   that names a person or a thing ("the on-call engineer had not checked" → person);
//! - a passive with its agent after the verb ("was ignored by the on-call engineer");
//! - a relative clause ("the person who approved the PR is responsible" → person);
//! - a possessive ("Pat's change broke it": a thing a person made, for rules about causes);
//! - a sentence-opening adverbial, where the subject comes after ("Once again, the team …").
//!
//! Names: a capitalised word in the name list is a person anywhere. Another capitalised word
//! is taken for a name only where a subject starts (the sentence's first word, after a comma
//! or a conjunction, after "by"), when it is not a product, a common sentence opener or a
//! word shaped like a common noun (-tion, -ment, plural -s …); mid-sentence it is a product.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Who a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A person, a role or a group of people.
    Person,
    /// "We": the organization speaking of itself.
    We,
    /// A thing that belongs to a person: "Pat's change", "his command".
    PersonsThing,
    /// A machine, a document or an event.
    Thing,
    /// No word said.
    Unknown,
}

/// Pronouns, roles and groups of people: as a clause's subject, a person acted.
const PEOPLE: &[&str] = &[
    "accountant",
    "accountants",
    "actuary",
    "adjuster",
    "adjusters",
    "admin",
    "administrator",
    "administrators",
    "admins",
    "adviser",
    "advisers",
    "advisor",
    "advisors",
    "anaesthetist",
    "analyst",
    "analysts",
    "anesthesiologist",
    "anesthetist",
    "anybody",
    "anyone",
    "apprentice",
    "apprentices",
    "approver",
    "approvers",
    "architect",
    "architects",
    "assessor",
    "assessors",
    "assignee",
    "assignees",
    "attendant",
    "attendants",
    "attorney",
    "attorneys",
    "auditor",
    "auditors",
    "author",
    "authors",
    "banker",
    "bankers",
    "barista",
    "bartender",
    "biller",
    "billers",
    "bookkeeper",
    "buyer",
    "buyers",
    "captain",
    "captains",
    "caregiver",
    "caregivers",
    "carer",
    "carers",
    "caretaker",
    "caseworker",
    "caseworkers",
    "cashier",
    "cashiers",
    "ceo",
    "chairman",
    "chairperson",
    "chauffeur",
    "chef",
    "chefs",
    "cio",
    "ciso",
    "cleaner",
    "cleaners",
    "clerk",
    "clerks",
    "clinician",
    "clinicians",
    "co-pilot",
    "coder",
    "coders",
    "colleague",
    "colleagues",
    "commander",
    "compliance",
    "conductor",
    "conductors",
    "constable",
    "consultant",
    "consultants",
    "contractor",
    "contractors",
    "cook",
    "cooks",
    "coordinator",
    "coordinators",
    "copilot",
    "courier",
    "couriers",
    "crew",
    "crews",
    "csm",
    "csms",
    "cto",
    "custodian",
    "dba",
    "dbas",
    "designer",
    "designers",
    "desk",
    "desks",
    "detective",
    "dev",
    "developer",
    "developers",
    "devs",
    "director",
    "directors",
    "doctor",
    "doctors",
    "dr",
    "electrician",
    "electricians",
    "em",
    "employee",
    "employees",
    "ems",
    "engineer",
    "engineering",
    "engineers",
    "estimator",
    "everybody",
    "everyone",
    "executive",
    "executives",
    "facilities",
    "field-tech",
    "finance",
    "firefighter",
    "firefighters",
    "fireman",
    "fitter",
    "fitters",
    "folk",
    "folks",
    "foreman",
    "foremen",
    "founder",
    "founders",
    "guard",
    "guards",
    "guy",
    "guys",
    "he",
    "help-desk",
    "helpdesk",
    "her",
    "hers",
    "herself",
    "him",
    "himself",
    "hire",
    "hires",
    "his",
    "hr",
    "human",
    "humans",
    "i",
    "ic",
    "implementer",
    "implementers",
    "individual",
    "individuals",
    "infra",
    "inspector",
    "inspectors",
    "intern",
    "interns",
    "janitor",
    "judge",
    "keyholder",
    "keyholders",
    "l1",
    "l2",
    "l3",
    "laborer",
    "laborers",
    "labourer",
    "labourers",
    "lawyer",
    "lawyers",
    "lead",
    "leadership",
    "leads",
    "lecturer",
    "lecturers",
    "legal",
    "liaison",
    "liaisons",
    "librarian",
    "librarians",
    "lineman",
    "linemen",
    "linesman",
    "linesmen",
    "lineworker",
    "lineworkers",
    "loadmaster",
    "madam",
    "maintainer",
    "maintainers",
    "management",
    "manager",
    "managers",
    "marketing",
    "marshaller",
    "me",
    "mechanic",
    "mechanics",
    "merchandiser",
    "midwife",
    "midwives",
    "miss",
    "mr",
    "mrs",
    "ms",
    "my",
    "myself",
    "navigator",
    "newbie",
    "newbies",
    "newcomer",
    "newcomers",
    "nobody",
    "noc",
    "nurse",
    "nurses",
    "office",
    "officer",
    "officers",
    "on-call",
    "on-caller",
    "on-callers",
    "oncall",
    "oncaller",
    "operative",
    "operatives",
    "operator",
    "operators",
    "ops",
    "ops-team",
    "our",
    "ourselves",
    "owner",
    "owners",
    "packer",
    "packers",
    "paralegal",
    "paramedic",
    "paramedics",
    "people",
    "person",
    "pharmacist",
    "pharmacists",
    "phlebotomist",
    "physician",
    "physicians",
    "picker",
    "pickers",
    "pilot",
    "pilots",
    "plumber",
    "plumbers",
    "pm",
    "pms",
    "police",
    "porter",
    "porters",
    "prescriber",
    "prescribers",
    "president",
    "producer",
    "producers",
    "prof",
    "professor",
    "programmer",
    "programmers",
    "purser",
    "qa",
    "qas",
    "radiographer",
    "radiographers",
    "radiologist",
    "receptionist",
    "receptionists",
    "recruiter",
    "recruiters",
    "registrar",
    "rep",
    "representative",
    "representatives",
    "reps",
    "requester",
    "requesters",
    "researcher",
    "researchers",
    "responder",
    "responders",
    "reviewer",
    "reviewers",
    "rookie",
    "rookies",
    "sales",
    "salespeople",
    "salesperson",
    "scientist",
    "scientists",
    "scribe",
    "scribes",
    "secretaries",
    "secretary",
    "security",
    "sergeant",
    "she",
    "shift",
    "shifts",
    "signaller",
    "signallers",
    "signalman",
    "sir",
    "soc",
    "solicitor",
    "solicitors",
    "somebody",
    "someone",
    "squad",
    "squads",
    "sre",
    "sres",
    "staff",
    "staffer",
    "staffers",
    "steward",
    "stewardess",
    "stewards",
    "stocker",
    "storekeeper",
    "student",
    "students",
    "subcontractor",
    "subcontractors",
    "success",
    "supervisor",
    "supervisors",
    "supplier",
    "suppliers",
    "support",
    "surgeon",
    "surgeons",
    "surveyor",
    "surveyors",
    "sysadmin",
    "sysadmins",
    "taker",
    "takers",
    "teacher",
    "teachers",
    "team",
    "teammate",
    "teammates",
    "teams",
    "tech",
    "tech-lead",
    "technician",
    "technicians",
    "technologist",
    "technologists",
    "techs",
    "teller",
    "tellers",
    "tester",
    "testers",
    "their",
    "theirs",
    "them",
    "themselves",
    "therapist",
    "therapists",
    "they",
    "tier-1",
    "tier-2",
    "tier-3",
    "trader",
    "traders",
    "trainee",
    "trainees",
    "tutor",
    "tutors",
    "underwriter",
    "underwriters",
    "us",
    "vendor",
    "vendors",
    "volunteer",
    "volunteers",
    "vp",
    "waiter",
    "waitress",
    "we",
    "welder",
    "welders",
    "whoever",
    "you",
    "your",
];

/// Machines, documents, events and their parts: as a clause's subject, nothing human acted.
const THINGS: &[&str] = &[
    "agent",
    "agents",
    "alb",
    "alert",
    "alerting",
    "alerts",
    "anything",
    "api",
    "apis",
    "app",
    "application",
    "applications",
    "artifact",
    "artifacts",
    "auth",
    "authentication",
    "backup",
    "backups",
    "balancer",
    "batch",
    "batches",
    "billing",
    "binaries",
    "binary",
    "blob",
    "blobs",
    "branch",
    "branches",
    "breaker",
    "broker",
    "brokers",
    "browser",
    "browsers",
    "bucket",
    "buckets",
    "budget",
    "buffer",
    "buffers",
    "bug",
    "bugs",
    "build",
    "builds",
    "button",
    "buttons",
    "cache",
    "calls",
    "camera",
    "cameras",
    "canaries",
    "canary",
    "cdn",
    "cert",
    "certificate",
    "certificates",
    "certs",
    "change",
    "changes",
    "chart",
    "charts",
    "check",
    "checker",
    "checkers",
    "checkout",
    "checks",
    "circuit",
    "cli",
    "client",
    "clients",
    "cluster",
    "clusters",
    "code",
    "column",
    "columns",
    "command",
    "commands",
    "commit",
    "commits",
    "component",
    "components",
    "config",
    "configuration",
    "connection",
    "connections",
    "console",
    "consumer",
    "consumers",
    "container",
    "containers",
    "controller",
    "cpu",
    "crash",
    "crashes",
    "cron",
    "cronjob",
    "daemon",
    "daemonset",
    "dashboard",
    "data",
    "database",
    "datacenter",
    "datacentre",
    "dataset",
    "db",
    "default",
    "defaults",
    "defect",
    "defects",
    "dependencies",
    "dependency",
    "deploy",
    "deployment",
    "deployments",
    "deploys",
    "device",
    "devices",
    "diff",
    "diffs",
    "disk",
    "disks",
    "dns",
    "doc",
    "docs",
    "document",
    "documents",
    "downstream",
    "driver",
    "dump",
    "dumps",
    "egress",
    "elb",
    "election",
    "email",
    "emails",
    "endpoint",
    "endpoints",
    "environment",
    "environments",
    "error",
    "errors",
    "event",
    "events",
    "everything",
    "exception",
    "exceptions",
    "experiment",
    "experiments",
    "export",
    "exports",
    "extension",
    "extensions",
    "failover",
    "failure",
    "failures",
    "fault",
    "faults",
    "feature",
    "feed",
    "feeds",
    "field",
    "fields",
    "file",
    "files",
    "firewall",
    "firmware",
    "fix",
    "fixes",
    "flag",
    "flags",
    "form",
    "forms",
    "framework",
    "frameworks",
    "function",
    "gateway",
    "guard",
    "handoff",
    "hardware",
    "health-check",
    "healthcheck",
    "heartbeat",
    "heartbeats",
    "histogram",
    "hook",
    "hooks",
    "host",
    "hosts",
    "hotfix",
    "hotfixes",
    "image",
    "images",
    "import",
    "imports",
    "incident",
    "incidents",
    "index",
    "inference",
    "ingress",
    "instance",
    "instances",
    "integration",
    "integrations",
    "issue",
    "issues",
    "it",
    "its",
    "itself",
    "job",
    "jobs",
    "kernel",
    "key",
    "keys",
    "label",
    "labels",
    "laptop",
    "laptops",
    "latency",
    "lb",
    "leader",
    "libraries",
    "library",
    "license",
    "licenses",
    "limit",
    "limiter",
    "limits",
    "load",
    "lock",
    "locks",
    "log",
    "logging",
    "logic",
    "login",
    "logs",
    "loop",
    "loops",
    "manifest",
    "manifests",
    "memory",
    "merge",
    "message",
    "messages",
    "metric",
    "metrics",
    "migration",
    "migrations",
    "model",
    "models",
    "module",
    "modules",
    "monitor",
    "monitoring",
    "mutex",
    "network",
    "nlb",
    "node",
    "nodes",
    "nothing",
    "notification",
    "notifications",
    "object",
    "objects",
    "operator-sdk",
    "outage",
    "outages",
    "package",
    "packages",
    "page",
    "pager",
    "pagers",
    "pages",
    "panic",
    "parameter",
    "parameters",
    "partition",
    "partitions",
    "patch",
    "patches",
    "payment",
    "payments",
    "phone",
    "phones",
    "pipeline",
    "pipelines",
    "playbook",
    "plugin",
    "plugins",
    "pod",
    "pods",
    "policies",
    "policy",
    "pool",
    "pools",
    "portal",
    "pr",
    "primary",
    "printer",
    "printers",
    "probe",
    "probes",
    "process",
    "processes",
    "producer",
    "producers",
    "provider",
    "providers",
    "proxy",
    "prs",
    "queries",
    "query",
    "queue",
    "queues",
    "quota",
    "quotas",
    "rack",
    "racks",
    "rail",
    "record",
    "records",
    "region",
    "regions",
    "release",
    "releases",
    "reminder",
    "reminders",
    "replica",
    "replicas",
    "replicaset",
    "replication",
    "request",
    "requests",
    "resolver",
    "resolvers",
    "restore",
    "restores",
    "retries",
    "retry",
    "rollback",
    "rollout",
    "rollouts",
    "route",
    "router",
    "routes",
    "routing",
    "row",
    "rows",
    "rule",
    "rules",
    "runbook",
    "sample",
    "samples",
    "sampling",
    "scanner",
    "scanners",
    "scheduler",
    "schema",
    "screen",
    "screens",
    "script",
    "scripts",
    "sdk",
    "sdks",
    "search",
    "secret",
    "secrets",
    "semaphore",
    "sensor",
    "sensors",
    "server",
    "servers",
    "service",
    "services",
    "session",
    "sessions",
    "setting",
    "settings",
    "shard",
    "shards",
    "signal",
    "signals",
    "signup",
    "snapshot",
    "snapshots",
    "software",
    "something",
    "sql",
    "stage",
    "stages",
    "standby",
    "statefulset",
    "step",
    "steps",
    "storage",
    "stream",
    "streams",
    "subsystem",
    "subsystems",
    "switch",
    "sync",
    "syncs",
    "system",
    "systems",
    "table",
    "tables",
    "task",
    "tasks",
    "template",
    "templates",
    "terminal",
    "test",
    "tests",
    "this",
    "thread",
    "threads",
    "threshold",
    "thresholds",
    "throttle",
    "ticket",
    "tickets",
    "timeout",
    "timer",
    "timestamp",
    "timestamps",
    "toggle",
    "toggles",
    "token",
    "tokens",
    "tool",
    "tooling",
    "tools",
    "topic",
    "topics",
    "traffic",
    "training",
    "ui",
    "update",
    "updates",
    "upgrade",
    "upstream",
    "value",
    "values",
    "variable",
    "variables",
    "version",
    "vm",
    "vms",
    "volume",
    "volumes",
    "vpn",
    "webhook",
    "webhooks",
    "which",
    "worker",
    "workers",
    "wristband",
    "wristbands",
    "zone",
    "zones",
];

/// Words between a subject and its verb that say nothing of who the subject is:
/// auxiliaries, determiners, adverbs.
const SKIP: &[&str] = &[
    "a",
    "actually",
    "again",
    "all",
    "already",
    "also",
    "am",
    "an",
    "and",
    "another",
    "any",
    "apparently",
    "are",
    "aren't",
    "backup-on-call",
    "be",
    "been",
    "being",
    "both",
    "but",
    "call",
    "can",
    "can't",
    "clearly",
    "completely",
    "could",
    "couldn't",
    "current",
    "did",
    "didn't",
    "do",
    "does",
    "done",
    "duty",
    "each",
    "either",
    "entire",
    "entirely",
    "even",
    "eventually",
    "ever",
    "every",
    "finally",
    "first",
    "former",
    "had",
    "hadn't",
    "has",
    "hasn't",
    "have",
    "haven't",
    "having",
    "immediately",
    "incoming",
    "initially",
    "is",
    "isn't",
    "junior",
    "just",
    "later",
    "likely",
    "may",
    "might",
    "must",
    "neither",
    "never",
    "new",
    "no",
    "nor",
    "not",
    "obviously",
    "old",
    "on",
    "once",
    "only",
    "or",
    "other",
    "outgoing",
    "previous",
    "probably",
    "quickly",
    "quite",
    "rather",
    "really",
    "regrettably",
    "repeatedly",
    "sadly",
    "same",
    "secondary",
    "seemingly",
    "senior",
    "shall",
    "should",
    "shouldn't",
    "simply",
    "slowly",
    "so",
    "some",
    "still",
    "subsequently",
    "that",
    "the",
    "then",
    "therefore",
    "these",
    "those",
    "thus",
    "to",
    "too",
    "twice",
    "ultimately",
    "unfortunately",
    "very",
    "was",
    "wasn't",
    "were",
    "weren't",
    "who",
    "whole",
    "whom",
    "whose",
    "will",
    "won't",
    "would",
    "wouldn't",
    "yet",
];

/// Products and proper nouns of computing (and days, months): capitalised, but not people.
const TECH: &[&str] = &[
    "activemq",
    "adyen",
    "airflow",
    "akamai",
    "alertmanager",
    "amd",
    "amplitude",
    "android",
    "angular",
    "ansible",
    "apache",
    "april",
    "argo",
    "argocd",
    "arista",
    "august",
    "aws",
    "azure",
    "babel",
    "bazel",
    "beam",
    "bigquery",
    "bitbucket",
    "braintree",
    "buildkite",
    "calico",
    "cargo",
    "cassandra",
    "celery",
    "centos",
    "certbot",
    "chef",
    "christmas",
    "chrome",
    "cilium",
    "circleci",
    "cisco",
    "citus",
    "clickhouse",
    "cloudflare",
    "cloudformation",
    "cloudfront",
    "cockroach",
    "cockroachdb",
    "confluence",
    "consul",
    "containerd",
    "coredns",
    "cron",
    "crossplane",
    "cuda",
    "databricks",
    "datadog",
    "dataflow",
    "debian",
    "december",
    "dell",
    "digitalocean",
    "diwali",
    "django",
    "docker",
    "docker's",
    "druid",
    "dynamodb",
    "easter",
    "elasticsearch",
    "envoy",
    "ericsson",
    "esxi",
    "etcd",
    "exchange",
    "fastly",
    "february",
    "firecracker",
    "firefox",
    "flannel",
    "flask",
    "flink",
    "fluentbit",
    "fluentd",
    "flux",
    "friday",
    "galera",
    "gcp",
    "git",
    "github",
    "gitlab",
    "gmail",
    "go",
    "golang",
    "gradle",
    "grafana",
    "graphql",
    "hadoop",
    "haproxy",
    "helm",
    "heroku",
    "hetzner",
    "hive",
    "hp",
    "huawei",
    "hubspot",
    "intel",
    "intercom",
    "ios",
    "istio",
    "jaeger",
    "january",
    "java",
    "jenkins",
    "jira",
    "july",
    "june",
    "juniper",
    "jupyter",
    "k8s",
    "kafka",
    "kibana",
    "kube",
    "kubectl",
    "kubelet",
    "kubernetes",
    "kvm",
    "lambda",
    "laravel",
    "ldap",
    "lenovo",
    "linkerd",
    "linode",
    "linux",
    "logstash",
    "loki",
    "looker",
    "macos",
    "mailchimp",
    "mailgun",
    "march",
    "mariadb",
    "maven",
    "may",
    "memcached",
    "mixpanel",
    "monday",
    "mongo",
    "mongodb",
    "mysql",
    "nats",
    "netlify",
    "newrelic",
    "nginx",
    "node",
    "nodejs",
    "nokia",
    "nomad",
    "november",
    "npm",
    "nvidia",
    "october",
    "office",
    "okta",
    "opensearch",
    "openssl",
    "openstack",
    "opsgenie",
    "oracle",
    "outlook",
    "packer",
    "pagerduty",
    "patroni",
    "paypal",
    "percona",
    "pgbouncer",
    "php",
    "pinot",
    "pip",
    "plaid",
    "podman",
    "postgres",
    "postgresql",
    "presto",
    "prometheus",
    "proxmox",
    "proxysql",
    "pulsar",
    "pulumi",
    "puppet",
    "python",
    "qemu",
    "rabbitmq",
    "rails",
    "ramadan",
    "react",
    "redis",
    "redshift",
    "rhel",
    "ruby",
    "rust",
    "safari",
    "salesforce",
    "salt",
    "saltstack",
    "sap",
    "saturday",
    "scylla",
    "segment",
    "sendgrid",
    "sentry",
    "september",
    "sharepoint",
    "shopify",
    "sidekiq",
    "slack",
    "snowflake",
    "spark",
    "spinnaker",
    "splunk",
    "spring",
    "squid",
    "statuspage",
    "stripe",
    "sunday",
    "superset",
    "systemd",
    "tableau",
    "teams",
    "tempo",
    "terraform",
    "terraform's",
    "thanksgiving",
    "thanos",
    "thursday",
    "tidb",
    "tomcat",
    "traefik",
    "travis",
    "trino",
    "tuesday",
    "twilio",
    "ubuntu",
    "vagrant",
    "varnish",
    "vault",
    "vector",
    "vercel",
    "vitess",
    "vmware",
    "vue",
    "webex",
    "webpack",
    "wednesday",
    "windows",
    "workday",
    "xen",
    "yarn",
    "zendesk",
    "zookeeper",
    "zoom",
];

/// Words that open sentences and clauses capitalised, but are not names.
const OPENERS: &[&str] = &[
    "a",
    "about",
    "above",
    "across",
    "action",
    "actions",
    "after",
    "afterwards",
    "again",
    "against",
    "all",
    "almost",
    "along",
    "also",
    "although",
    "amid",
    "amidst",
    "among",
    "an",
    "analytics",
    "and",
    "another",
    "anything",
    "apparently",
    "approximately",
    "around",
    "as",
    "at",
    "backend",
    "because",
    "before",
    "below",
    "between",
    "both",
    "but",
    "by",
    "cause",
    "compliance",
    "customer",
    "customers",
    "data",
    "dear",
    "despite",
    "down",
    "during",
    "each",
    "earlier",
    "either",
    "engineering",
    "even",
    "eventually",
    "every",
    "everything",
    "externally",
    "few",
    "finally",
    "finance",
    "first",
    "five",
    "following",
    "for",
    "fortunately",
    "four",
    "frankly",
    "from",
    "frontend",
    "further",
    "given",
    "he",
    "hello",
    "her",
    "here",
    "hi",
    "his",
    "how",
    "however",
    "i",
    "if",
    "impact",
    "in",
    "including",
    "infra",
    "infrastructure",
    "initially",
    "instead",
    "internally",
    "into",
    "it",
    "its",
    "just",
    "last",
    "latency",
    "later",
    "leadership",
    "least",
    "legal",
    "less",
    "lesson",
    "lessons",
    "like",
    "luckily",
    "management",
    "many",
    "marketing",
    "meanwhile",
    "minus",
    "mobile",
    "monitoring",
    "more",
    "most",
    "much",
    "my",
    "near",
    "nearly",
    "neither",
    "next",
    "no",
    "none",
    "nor",
    "not",
    "note",
    "notes",
    "nothing",
    "of",
    "off",
    "ok",
    "okay",
    "on",
    "once",
    "one",
    "only",
    "onto",
    "operations",
    "or",
    "other",
    "our",
    "out",
    "over",
    "overnight",
    "own",
    "past",
    "per",
    "platform",
    "please",
    "plus",
    "product",
    "regrettably",
    "root",
    "roughly",
    "sales",
    "same",
    "second",
    "security",
    "several",
    "she",
    "since",
    "so",
    "some",
    "something",
    "status",
    "still",
    "such",
    "summary",
    "support",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "third",
    "this",
    "those",
    "though",
    "three",
    "through",
    "till",
    "timeline",
    "to",
    "today",
    "tonight",
    "traffic",
    "two",
    "ultimately",
    "under",
    "unfortunately",
    "unless",
    "unlike",
    "until",
    "up",
    "upon",
    "user",
    "users",
    "versus",
    "via",
    "we",
    "web",
    "what",
    "when",
    "whenever",
    "where",
    "whether",
    "which",
    "while",
    "whilst",
    "who",
    "whom",
    "whose",
    "why",
    "with",
    "within",
    "without",
    "yes",
    "yesterday",
    "yet",
    "you",
    "your",
];

/// Noun endings that a given name rarely has: a capitalised word ending so is a thing.
const NOUN_ENDINGS: &[&str] = &[
    "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ing", "ers", "ors", "ies", "ics",
    "ure", "age", "ogy", "ism", "ist", "ists", "ts", "ks", "ds", "ps", "ms", "gs", "bs", "ls",
    "ions", "ens", "rns", "es", "ys", "ws", "al", "ive", "ous", "ful", "less", "able", "ible",
    "ed",
];

/// Common English words, one a line (`#` lines are comments).
const COMMON_WORDS: &str = include_str!("common_words.txt");

struct Lexicon {
    /// For `looks_like_name`: what each listed word is, in one lookup ([`NAME`], or
    /// [`NOT_NAME`] for a common, tech, opener, thing or skipped word).
    kinds: HashMap<&'static str, u8>,
    common: HashSet<&'static str>,
    people: HashSet<&'static str>,
    things: HashSet<&'static str>,
    skip: HashSet<&'static str>,
    tech: HashSet<&'static str>,
    openers: HashSet<&'static str>,
}

/// A listed given name.
const NAME: u8 = 1;
/// A word that is not a name: common, tech, an opener, a thing or a skipped word.
const NOT_NAME: u8 = 2;
/// A word for a person, a role or a team (not a pronoun).
const PERSON_WORD: u8 = 4;

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    let common: HashSet<&'static str> = COMMON_WORDS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let mut kinds: HashMap<&'static str, u8> = HashMap::new();
    for w in common
        .iter()
        .copied()
        .chain(THINGS.iter().copied())
        .chain(SKIP.iter().copied())
        .chain(TECH.iter().copied())
        .chain(OPENERS.iter().copied())
    {
        *kinds.entry(w).or_default() |= NOT_NAME;
    }
    for w in crate::names::NAMES {
        *kinds.entry(w).or_default() |= NAME;
    }
    // Pronouns are everywhere, or may stand for things: they do not make a sentence name
    // someone.
    for w in PEOPLE.iter().copied().filter(|w| {
        !matches!(
            *w,
            "we" | "us"
                | "our"
                | "ours"
                | "ourselves"
                | "they"
                | "them"
                | "their"
                | "theirs"
                | "themselves"
                | "you"
                | "your"
                | "i"
                | "me"
                | "my"
                | "it"
        )
    }) {
        *kinds.entry(w).or_default() |= PERSON_WORD;
    }
    Lexicon {
        kinds,
        common,
        people: PEOPLE.iter().copied().collect(),
        things: THINGS.iter().copied().collect(),
        skip: SKIP.iter().copied().collect(),
        tech: TECH.iter().copied().collect(),
        openers: OPENERS.iter().copied().collect(),
    }
});

/// Words that, before a capitalised word, mark the start of a subject.
const SUBJECT_STARTS: &[&str] = &[
    "and",
    "but",
    "because",
    "so",
    "when",
    "after",
    "before",
    "until",
    "while",
    "although",
    "though",
    "since",
    "then",
    "once",
    "as",
    "that",
    "if",
    "where",
    "whereas",
    "by",
    "had",
    "with",
    "whom",
    "meanwhile",
    "and",
    "until",
    "unless",
];

/// One word of a sentence.
#[derive(Debug, Clone, Copy)]
struct Token<'t> {
    text: &'t str,
    start: usize,
    end: usize,
}

/// The words of `text` (letters, digits, apostrophes, hyphens, and `@` for handles).
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let inside =
            c.is_alphanumeric() || c == '\'' || c == '’' || c == '-' || c == '@' || c == '_';
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Token {
                    text: &text[s..i],
                    start: s,
                    end: i,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Token {
            text: &text[s..],
            start: s,
            end: text.len(),
        });
    }
    out
}

/// `word` lower-cased, curly apostrophes made straight, a possessive `'s` and edge quotes
/// dropped.
fn fold(word: &str) -> (Folded<'_>, bool) {
    // Most words are lower-case ASCII already: those are borrowed, not copied.
    if word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'@' | b'_'))
    {
        return (Folded(Cow::Borrowed(word.trim_matches('-'))), false);
    }
    let w = word.replace('’', "'").to_lowercase();
    let w = w.trim_matches(|c| c == '\'' || c == '-').to_string();
    match w.strip_suffix("'s") {
        Some(base) => (Folded(Cow::Owned(base.to_string())), true),
        None => (Folded(Cow::Owned(w)), false),
    }
}

/// A word as [`fold`] gives it: borrowed when it needed no change.
struct Folded<'a>(Cow<'a, str>);

impl Folded<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Folded<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for Folded<'_> {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// Whether a capitalised `word` looks like a given name (not a product or a noun).
fn looks_like_name(word: &str) -> bool {
    let word = word.trim_end_matches("'s").trim_end_matches("’s");
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !first.is_uppercase() {
        return false;
    }
    let rest = chars.as_str();
    if rest.is_empty() {
        // An initial: "J." in "J.R.", but not "A" or "I".
        return first != 'A' && first != 'I';
    }
    let shaped = rest
        .chars()
        .all(|c| c.is_lowercase() || c == '-' || c == '\'')
        && rest.chars().count() <= 14;
    if !shaped {
        // "Sarah-Jane": a listed name, part by part.
        return crate::names::is_first_name(word);
    }
    crate::names::with_lower(word, |lower| {
        match LEXICON.kinds.get(lower).copied().unwrap_or(0) {
            k if k & NAME != 0 => true,
            k if k & NOT_NAME != 0 => false,
            _ => !NOUN_ENDINGS
                .iter()
                .any(|e| lower.len() > e.len() + 1 && lower.ends_with(e)),
        }
    })
}

/// What one word says of the subject: `None` when it says nothing (keep looking).
/// `name_slot`: a capitalised word here may be a name (the start of a subject).
fn classify(word: &str, name_slot: bool) -> Option<Who> {
    let (w, possessive) = fold(word);
    let lex = &*LEXICON;
    if w.is_empty() {
        return None;
    }
    if w.starts_with('@') && w.len() > 1 {
        return Some(Who::Person);
    }
    if matches!(w.as_str(), "we" | "us" | "our" | "ours" | "ourselves") {
        return Some(Who::We);
    }
    if lex.people.contains(w.as_str()) {
        return Some(Who::Person);
    }
    if lex.things.contains(w.as_str()) {
        return Some(Who::Thing);
    }
    // "enforce-xfs-container", "on-call-engineer": the last part names it.
    if let Some((_, last)) = w.rsplit_once('-') {
        if lex.things.contains(last) {
            return Some(Who::Thing);
        }
        if lex.people.contains(last) {
            return Some(Who::Person);
        }
    }
    let capitalised = word.chars().next().is_some_and(char::is_uppercase);
    if capitalised {
        if crate::names::is_first_name(word.trim_end_matches("'s").trim_end_matches("’s")) {
            return Some(Who::Person);
        }
        if lex.skip.contains(w.as_str()) || lex.openers.contains(w.as_str()) {
            return None;
        }
        let all_caps = word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
        if name_slot && (!all_caps || word.chars().count() == 1) && looks_like_name(word) {
            return Some(Who::Person);
        }
        // A product, a service, an acronym.
        return Some(Who::Thing);
    }
    let _ = possessive;
    None
}

/// Whether token `k` of `toks` may be a name not in the list: it stands where a subject
/// starts, and a verb, a possessive or another name comes right after it ("Mateo missed",
/// "Hana's change", "Kofi Boateng"), not a noun ("Barcode scanners").
fn name_slot(text: &str, toks: &[Token<'_>], k: usize, clause_start: usize) -> bool {
    let context = fold(toks[k].text).1
        || toks.get(k + 1).is_none_or(|next| {
            verb_like(next.text)
                || matches!(
                    fold(next.text).0.as_str(),
                    "to" | "needs" | "gets" | "keeps" | "has" | "loses" | "shadows" | "pushes"
                )
                || next.text.chars().next().is_some_and(char::is_uppercase)
                || text[toks[k].end..next.start].contains([',', ')', ';', ':'])
        });
    context && subject_start(text, toks, k, clause_start)
}

/// Whether token `k` of `toks` stands where a subject may start.
fn subject_start(text: &str, toks: &[Token<'_>], k: usize, clause_start: usize) -> bool {
    if k == 0 {
        return true;
    }
    let prev = toks[k - 1];
    let between = &text[prev.end..toks[k].start];
    if prev.end <= clause_start || between.contains([',', ';', ':', '—', '(', '"', '“']) {
        return true;
    }
    let (p, _) = fold(prev.text);
    if SUBJECT_STARTS.contains(&p.as_str()) {
        return true;
    }
    // "Li Na", "Jean Claude": a name after a name.
    prev.text.chars().next().is_some_and(char::is_uppercase)
        && looks_like_name(prev.text)
        && (k == 1 || subject_start(text, toks, k - 1, clause_start))
}

/// The byte after the character that starts at byte `p` of `text`.
pub fn after_char(text: &str, p: usize) -> usize {
    p + text[p..].chars().next().map_or(1, char::len_utf8)
}

/// Words after which a new clause, with a subject of its own, may start.
const BOUNDARIES: &[&str] = &[
    "that", "which", "because", "when", "while", "after", "before", "until", "if", "and", "but",
    "so", "although", "though", "since", "as", "where", "whereas", "or", "once", "unless",
];

/// Conjunctions that join a second verb to the first one's subject: "… and forgot to …".
const JOINERS: &[&str] = &["and", "but", "or", "then", "yet"];

/// Words that open an adverbial before a sentence's subject ("Despite the warnings, …").
const OPENING_ADVERBIALS: &[&str] = &[
    "after",
    "before",
    "when",
    "whenever",
    "while",
    "during",
    "because",
    "since",
    "although",
    "though",
    "however",
    "despite",
    "instead",
    "rather",
    "once",
    "meanwhile",
    "later",
    "earlier",
    "eventually",
    "ultimately",
    "finally",
    "initially",
    "afterwards",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "as",
    "until",
    "unless",
    "if",
    "looking",
    "given",
    "following",
    "yesterday",
    "today",
    "overnight",
    "again",
    "yet",
    "still",
    "then",
    "honestly",
    "sadly",
    "regrettably",
    "unfortunately",
    "luckily",
    "fortunately",
    "frankly",
    "apparently",
    "predictably",
    "clearly",
    "obviously",
    "of",
    "without",
    "within",
    "around",
    "about",
    "over",
    "under",
    "through",
    "throughout",
    "across",
    "between",
    "against",
    "like",
    "unlike",
    "per",
];

/// Verbs and auxiliaries that end a subject noun phrase.
const VERBS: &[&str] = &[
    "was",
    "were",
    "is",
    "are",
    "had",
    "has",
    "have",
    "did",
    "does",
    "do",
    "should",
    "could",
    "would",
    "will",
    "can",
    "must",
    "may",
    "might",
    "shall",
    "ran",
    "made",
    "took",
    "went",
    "saw",
    "wrote",
    "got",
    "put",
    "set",
    "let",
    "kept",
    "left",
    "told",
    "thought",
    "knew",
    "sent",
    "chose",
    "broke",
    "began",
    "forgot",
    "hit",
    "cut",
    "gave",
    "found",
    "brought",
    "bought",
    "caught",
    "held",
    "lost",
    "meant",
    "read",
    "said",
    "sat",
    "spent",
    "stood",
    "took",
    "understood",
    "never",
    "not",
    "also",
    "then",
    "just",
    "simply",
    "only",
    "still",
    "again",
];

/// Whether a token looks like a verb: an auxiliary, a common irregular past, a regular past,
/// a negated auxiliary.
fn verb_like(word: &str) -> bool {
    let (w, _) = fold(word);
    VERBS.contains(&w.as_str()) || w.ends_with("n't") || (w.len() > 3 && w.ends_with("ed"))
}

/// Role words that name software as often as people: "driver", "controller", "agent".
fn ambiguous_role(w: &str) -> bool {
    matches!(
        w,
        "driver"
            | "drivers"
            | "controller"
            | "controllers"
            | "handler"
            | "handlers"
            | "broker"
            | "brokers"
            | "planner"
            | "planners"
            | "scheduler"
            | "schedulers"
            | "worker"
            | "workers"
            | "agent"
            | "agents"
            | "assistant"
            | "assistants"
            | "dispatcher"
            | "dispatchers"
            | "manager"
            | "managers"
            | "operator"
            | "operators"
    )
}

/// Whether token `k` is an ambiguous role that the word before it makes a person's job.
fn role_of_person(toks: &[Token<'_>], k: usize) -> bool {
    k > 0 && ambiguous_role(&fold(toks[k].text).0) && human_modifier(&fold(toks[k - 1].text).0)
}

/// Words before an ambiguous role that make it a person's job: "the tug driver", "the gate
/// agent", "the crew scheduler", "the operations controller".
fn human_modifier(w: &str) -> bool {
    matches!(
        w,
        "air"
            | "traffic"
            | "tug"
            | "forklift"
            | "bus"
            | "delivery"
            | "truck"
            | "lorry"
            | "train"
            | "taxi"
            | "van"
            | "ambulance"
            | "duty"
            | "shift"
            | "night"
            | "day"
            | "crew"
            | "ramp"
            | "gate"
            | "call"
            | "customer"
            | "support"
            | "service"
            | "help"
            | "helpdesk"
            | "help-desk"
            | "desk"
            | "sales"
            | "travel"
            | "ward"
            | "records"
            | "case"
            | "ops"
            | "operations"
            | "flight"
            | "ground"
            | "field"
            | "control"
            | "room"
            | "station"
            | "site"
            | "maintenance"
            | "warehouse"
            | "line"
            | "plant"
            | "shop"
            | "floor"
            | "office"
            | "account"
            | "project"
            | "product"
            | "program"
            | "programme"
            | "release"
            | "incident"
            | "change"
            | "store"
            | "branch"
            | "human"
            | "claims"
            | "estate"
            | "insurance"
            | "personal"
            | "team"
            | "engineering"
            | "hiring"
            | "facilities"
            | "security"
            | "network"
            | "noc"
            | "soc"
            | "the"
    ) && w != "the"
}

/// The pronouns that may stand for things as well as people.
fn ambiguous_pronoun(w: &str) -> bool {
    matches!(w, "they" | "them" | "their" | "theirs")
}

/// The subject of the clause that byte `at` of `text` is in, found walking back from `at`,
/// then checked against the clause's first noun phrase (see [`resolve`]).
pub fn before(text: &str, at: usize) -> Who {
    let near = nearest(text, at);
    resolve(text, at, near)
}

/// Walking back from `at` to the first word that says who acted.
fn nearest(text: &str, at: usize) -> Who {
    let clause_start = text[..at]
        .rfind([';', ':', '(', '—'])
        .map_or(0, |p| crate::subject::after_char(text, p));
    let toks: Vec<Token<'_>> = tokens(text).into_iter().filter(|t| t.end <= at).collect();
    let first = toks.partition_point(|t| t.start < clause_start);
    for (looked, k) in (first..toks.len()).rev().enumerate() {
        if looked == 12 {
            break;
        }
        let (w, _) = fold(toks[k].text);
        if w == "who" {
            // "the engineer who …": a relative clause about a person, unless the word before
            // says otherwise ("users who had never logged in" are not the actors blamed).
            let antecedent = (k > first).then(|| toks[k - 1].text);
            return match antecedent.map(|a| classify(a, true)) {
                Some(None) if antecedent.is_some_and(|a| !a.starts_with(char::is_uppercase)) => {
                    Who::Unknown
                }
                _ => Who::Person,
            };
        }
        if w == "which" {
            return Who::Thing;
        }
        if looked == 0
            || toks[k + 1..]
                .iter()
                .all(|t| LEXICON.skip.contains(fold(t.text).0.as_str()))
        {
            // "… and forgot to unmute it": the verb shares the first clause's subject.
            if JOINERS.contains(&w.as_str()) && k > first {
                return main_subject(text, toks[k].start);
            }
        }
        if k > first && role_of_person(&toks, k) {
            // "the tug driver", "the gate agent", not "the kernel driver".
            return Who::Person;
        }
        match classify(toks[k].text, name_slot(text, &toks, k, clause_start)) {
            Some(Who::Person) if ambiguous_pronoun(&w) => {
                // "The replicas … and they failed to respond": the last noun before says.
                let earlier = toks[..k]
                    .iter()
                    .rev()
                    .filter(|t| !ambiguous_pronoun(&fold(t.text).0))
                    .find_map(|t| classify(t.text, false));
                return if earlier == Some(Who::Thing) {
                    Who::Thing
                } else {
                    Who::Person
                };
            }
            Some(Who::Thing) => {
                // "Pat's change", "his command": a thing a person made.
                if k > first {
                    let (p, possessive) = fold(toks[k - 1].text);
                    let owner = matches!(p.as_str(), "his" | "her" | "their" | "my" | "your")
                        || (possessive
                            && matches!(
                                classify(
                                    toks[k - 1].text,
                                    name_slot(text, &toks, k - 1, clause_start)
                                ),
                                Some(Who::Person)
                            ));
                    if owner {
                        return Who::PersonsThing;
                    }
                }
                // "The person who approved the PR is responsible": "who" further back, in
                // the same stretch without commas, makes the subject a person.
                let stretch = &text[toks[first].start.min(toks[k].start)..toks[k].start];
                let tail = stretch.rsplit(',').next().unwrap_or(stretch);
                let tail_words = tokens(tail);
                if let Some(w) = tail_words.iter().rposition(|t| fold(t.text).0 == "who") {
                    // Not across a clause of its own: "drivers who had logged off because
                    // its cache ignored …" is about the cache.
                    let crosses = tail_words[w + 1..]
                        .iter()
                        .any(|t| BOUNDARIES.contains(&fold(t.text).0.as_str()));
                    if !crosses {
                        return Who::Person;
                    }
                }
                return Who::Thing;
            }
            Some(who) => return who,
            None => {}
        }
    }
    Who::Unknown
}

/// Settles a thing found walking back against the clause's first noun phrase: in "Anyone
/// reading the alert would have recognised …" the alert is an object, and the subject is
/// "anyone". The first noun phrase wins when no word that may start a new clause stands
/// between it and the match.
fn resolve(text: &str, at: usize, near: Who) -> Who {
    if near != Who::Thing {
        return near;
    }
    let Some((who, end)) = main_subject_at(text, at) else {
        return near;
    };
    if who != Who::Person || end > at {
        return near;
    }
    let between = &text[end..at];
    if between.contains([',', ';', ':', '—', '(']) {
        return near;
    }
    // Far apart, they are most likely in different clauses that punctuation did not mark.
    if tokens(between).len() > 8 {
        return near;
    }
    let crosses = tokens(between)
        .iter()
        .any(|t| BOUNDARIES.contains(&fold(t.text).0.as_str()));
    if crosses { near } else { Who::Person }
}

/// The subject of the clause the match sits in, read forward from the last word that starts
/// a clause ("because", "when", "and" …) before `at`: "The outage happened because Priya
/// pushed the config without looking" → Priya.
pub fn segment_subject(text: &str, at: usize) -> Who {
    let toks: Vec<Token<'_>> = tokens(&text[..at]);
    let start = toks
        .iter()
        .rposition(|t| BOUNDARIES.contains(&fold(t.text).0.as_str()))
        .map_or(0, |k| k + 1);
    for (k, t) in toks.iter().enumerate().skip(start).take(4) {
        let slot = k == start || name_slot(text, &toks, k, 0);
        if let Some(who) = classify(t.text, slot) {
            return who;
        }
    }
    Who::Unknown
}

/// The head of the first noun phrase of the sentence, skipping an opening adverbial up to
/// its comma ("Regrettably, the team lead approved …" → the team lead).
pub fn main_subject(text: &str, at: usize) -> Who {
    main_subject_at(text, at).map_or(Who::Unknown, |(who, _)| who)
}

/// [`main_subject`] and the byte where its noun phrase ends.
fn main_subject_at(text: &str, at: usize) -> Option<(Who, usize)> {
    let clause_start = text[..at]
        .rfind([';', ':', '—', '('])
        .map_or(0, |p| crate::subject::after_char(text, p));
    let toks: Vec<Token<'_>> = tokens(text)
        .into_iter()
        .filter(|t| t.start >= clause_start && t.end <= at)
        .collect();
    let mut k = 0;
    // An opening adverbial: "Unfortunately, …", "Despite repeated warnings in the channel, …".
    if let Some(t) = toks.first() {
        let (w, _) = fold(t.text);
        let adverbial = OPENING_ADVERBIALS.contains(&w.as_str()) || w.ends_with("ly");
        if adverbial {
            if let Some(comma) = text[clause_start..at].find(',') {
                let comma = clause_start + comma;
                let after = toks.partition_point(|t| t.start < comma);
                if after <= 12 {
                    k = after;
                }
            }
        }
    }
    let mut head = None;
    let mut end = 0;
    // A subject noun phrase is a few words long; past that, the verb was not recognised.
    let last = toks.len().min(k + 5);
    while k < last {
        let t = toks[k];
        let (w, possessive) = fold(t.text);
        // "the crew scheduling system": an -ing word before a noun is part of the name.
        let compound = w.ends_with("ing")
            && toks
                .get(k + 1)
                .is_some_and(|n| classify(n.text, false) == Some(Who::Thing));
        if head.is_some() && (verb_like(t.text) || (w.ends_with("ing") && !compound) || w == "who")
        {
            break;
        }
        if head.is_none()
            && !LEXICON.people.contains(w.as_str())
            && (LEXICON.skip.contains(w.as_str()) || LEXICON.openers.contains(w.as_str()))
        {
            k += 1;
            continue;
        }
        if matches!(
            w.as_str(),
            "in" | "of" | "on" | "at" | "for" | "from" | "with" | "to" | "by"
        ) {
            break;
        }
        let slot = name_slot(text, &toks, k, clause_start) || head.is_none();
        match classify(t.text, slot) {
            Some(Who::Thing) if head == Some(Who::Person) && k > 0 && fold(toks[k - 1].text).1 => {
                head = Some(Who::PersonsThing);
            }
            Some(who) => head = Some(who),
            None if head.is_none() && verb_like(t.text) => break,
            None => {}
        }
        let _ = possessive;
        end = t.end;
        k += 1;
    }
    head.map(|h| (h, end))
}

/// The first subject after byte `from`: for a sentence-opening adverbial ("Once again, the
/// platform team pushed …").
pub fn after(text: &str, from: usize) -> Who {
    let toks: Vec<Token<'_>> = tokens(&text[from..]);
    for (k, t) in toks.iter().take(5).enumerate() {
        let slot = k == 0 || name_slot(&text[from..], &toks, k, 0);
        if let Some(who) = classify(t.text, slot) {
            return who;
        }
    }
    Who::Unknown
}

/// Whether a passive's agent follows byte `from`: "was ignored by the on-call engineer".
pub fn agent_after(text: &str, from: usize) -> bool {
    let toks: Vec<Token<'_>> = tokens(&text[from..]);
    let Some(by) = toks
        .iter()
        .take(4)
        .position(|t| t.text.eq_ignore_ascii_case("by"))
    else {
        return false;
    };
    noun_phrase(&text[from + toks[by].end..]) == Who::Person
}

/// Work a person did: a judgement of it is a judgement of its author ("a sloppy change").
const WORK: &[&str] = &[
    "change",
    "changes",
    "code",
    "work",
    "commit",
    "commits",
    "deploy",
    "deployment",
    "review",
    "reviews",
    "job",
    "handling",
    "handover",
    "fix",
    "patch",
    "config",
    "configuration",
    "pr",
    "merge",
    "rollout",
    "release",
    "response",
    "decision",
    "approach",
    "attitude",
    "testing",
];

/// Whether the judgement word at `a..b` describes a thing, not a person or their work:
/// after a copula, the subject is a machine or its data ("the retry loop was reckless",
/// "the data set is sloppy"); before a noun, the noun is ("sloppy timestamps").
pub fn judges_thing(text: &str, a: usize, b: usize) -> bool {
    let toks: Vec<Token<'_>> = tokens(&text[..a]);
    let n = toks.len();
    let match_copula = tokens(&text[a..b]).first().is_some_and(|t| {
        matches!(
            fold(t.text).0.as_str(),
            "is" | "was" | "were" | "are" | "be" | "been"
        )
    });
    let copula = match_copula
        || toks.iter().rev().take(2).any(|t| {
            matches!(
                fold(t.text).0.as_str(),
                "is" | "was" | "were" | "are" | "been" | "being" | "be"
            )
        });
    if copula {
        // The subject's head: the last word before the copula that names something.
        let at = if match_copula {
            n
        } else {
            toks.iter()
                .rposition(|t| {
                    matches!(
                        fold(t.text).0.as_str(),
                        "is" | "was" | "were" | "are" | "been" | "being" | "be"
                    )
                })
                .unwrap_or(n)
        };
        // A clause that opens with a gerund is about an act: "Pushing … was reckless".
        if toks
            .first()
            .is_some_and(|t| fold(t.text).0.ends_with("ing"))
        {
            return false;
        }
        for (i, t) in toks[..at].iter().enumerate().rev().take(4) {
            let (w, _) = fold(t.text);
            if (WORK.contains(&w.as_str()) && w != "job")
                || matches!(w.as_str(), "it" | "this" | "that" | "which" | "what")
                || verb_like(t.text)
            {
                return false;
            }
            if role_of_person(&toks, i) || persons(t.text) {
                return false;
            }
            if LEXICON.things.contains(w.as_str()) {
                // "Jelena's cleanup job was half-finished": someone's work, judged.
                return !toks[..i].iter().rev().take(2).any(|t| persons(t.text));
            }
            if classify(t.text, true).is_some() {
                return false;
            }
        }
        return false;
    }
    // "Teodor's sloppy YAML", "his hasty rollback": someone's work, judged.
    if toks.last().is_some_and(|t| persons(t.text)) {
        return false;
    }
    describes_thing(text, b)
}

/// Whether a word is a person's possessive: "his", "Teodor's", "the engineer's".
fn persons(word: &str) -> bool {
    let (w, possessive) = fold(word);
    if matches!(w.as_str(), "his" | "her" | "their" | "my" | "your") {
        return true;
    }
    possessive && classify(word, true) == Some(Who::Person)
}

fn is_day_or_month(w: &str) -> bool {
    matches!(
        w,
        "monday"
            | "tuesday"
            | "wednesday"
            | "thursday"
            | "friday"
            | "saturday"
            | "sunday"
            | "weekend"
            | "night"
            | "morning"
            | "evening"
            | "afternoon"
            | "january"
            | "february"
            | "march"
            | "april"
            | "june"
            | "july"
            | "august"
            | "september"
            | "october"
            | "november"
            | "december"
    )
}

/// Whether the word right after byte `from` is a thing the adjective before it describes:
/// "sloppy timestamps", "lazy sampling" (but not "a sloppy change", which is someone's work).
pub fn describes_thing(text: &str, from: usize) -> bool {
    let toks = tokens(&text[from..]);
    let Some(next) = toks.first() else {
        return false;
    };
    if !text[from..from + next.start].trim().is_empty() {
        return false;
    }
    // "a sloppy index change" judges the change: work a few words on counts.
    if toks
        .iter()
        .take(3)
        .any(|t| WORK.contains(&fold(t.text).0.as_str()))
    {
        return false;
    }
    let (mut w, _) = fold(next.text);
    let mut next = *next;
    // "a reckless Friday deploy": the day says nothing; the word after it does.
    if is_day_or_month(&w) {
        match toks.get(1) {
            Some(t) => {
                next = *t;
                w = fold(t.text).0;
            }
            None => return false,
        }
    }
    if WORK.contains(&w.as_str()) {
        return false;
    }
    classify(next.text, false) == Some(Who::Thing)
        || (w.ends_with("ing") && w.len() > 5 && !LEXICON.people.contains(w.as_str()))
}

/// A sentence written in lower case, as in chat ("09:12 jomo pushes the change, again"), with
/// capitals where edited prose would have them: its first word, and each word that is in
/// none of the word lists and is shaped like a name. Only ASCII letters change case, so
/// every byte offset holds. `None` when the sentence starts with a capital, or nothing
/// changes.
pub fn truecase(text: &str) -> Option<String> {
    let first = text.find(|c: char| c.is_alphabetic())?;
    if !text[first..].starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    let lex = &*LEXICON;
    let mut out = text.as_bytes().to_vec();
    out[first] = out[first].to_ascii_uppercase();
    let mut at = 0;
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
    {
        let start = at;
        at += word.len() + 1;
        // The name itself, without a possessive: "nkechi's".
        let stem = word
            .strip_suffix("'s")
            .or_else(|| word.strip_suffix("’s"))
            .unwrap_or(word);
        if start == first
            || !(3..=14).contains(&stem.len())
            || !stem.bytes().all(|b| b.is_ascii_lowercase())
            || lex.common.contains(stem)
            || lex.people.contains(stem)
            || lex.things.contains(stem)
            || lex.tech.contains(stem)
            || lex.skip.contains(stem)
            || lex.openers.contains(stem)
            || verb_like(stem)
            || (!crate::names::NAMES.contains(&stem)
                && NOUN_ENDINGS
                    .iter()
                    .any(|e| stem.len() > e.len() + 1 && stem.ends_with(e)))
        {
            continue;
        }
        out[start] = out[start].to_ascii_uppercase();
    }
    String::from_utf8(out).ok()
}

/// Whether a sentence names someone: a word for a person, a role or a team ("engineers",
/// "the on-call's"), a listed given name in any case, or a capitalised word shaped like a
/// name that no list holds ("Hiroshi"). The learned model reads only such sentences.
pub fn names_someone(sentence: &str) -> bool {
    let kind = |w: &str| LEXICON.kinds.get(w).copied().unwrap_or(0);
    let someone = |w: &str| kind(w) & (PERSON_WORD | NAME) != 0;
    sentence
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .any(|word| {
            let listed = crate::names::with_lower(word, |lower| {
                let lower = lower.trim_matches(|c| c == '\'' || c == '-');
                let base = lower
                    .strip_suffix("'s")
                    .or_else(|| lower.strip_suffix("’s"))
                    .unwrap_or(lower);
                someone(base)
                    || base.strip_suffix('s').is_some_and(someone)
                    // "on-call-engineer", "ops-team": any part.
                    || (base.contains('-') && base.split('-').any(|p| {
                        someone(p) || p.strip_suffix('s').is_some_and(someone)
                    }))
            });
            listed || (word.starts_with(|c: char| c.is_uppercase()) && looks_like_name(word))
        })
}

/// The words for people, roles and teams, and the listed first names, in lower case.
pub fn people_words() -> impl Iterator<Item = &'static str> {
    PEOPLE.iter().chain(crate::names::NAMES.iter()).copied()
}

/// Words that make a subject a group of people rather than one person.
fn group_word(w: &str) -> bool {
    matches!(
        w,
        "team"
            | "teams"
            | "staff"
            | "everyone"
            | "everybody"
            | "all"
            | "people"
            | "crew"
            | "crews"
            | "folks"
            | "rotation"
            | "squad"
            | "shift"
            | "shifts"
            | "we"
            | "us"
    ) || (w.ends_with('s') && LEXICON.people.contains(w) && !matches!(w, "ops" | "qa" | "his"))
}

/// Whether a noun phrase names one person (a name, a handle, a role in the singular), not a
/// group.
pub fn one_person(text: &str) -> bool {
    noun_phrase(text) == Who::Person
        && !tokens(text)
            .iter()
            .take(5)
            .any(|t| group_word(&fold(t.text).0))
}

/// Who a noun phrase names ("the support team's", "Ops", "a config push"): its head, the
/// last word that says before a preposition, a verb or a gerund ends the phrase.
pub fn noun_phrase(text: &str) -> Who {
    let toks = tokens(text);
    let mut head = Who::Unknown;
    for (k, t) in toks.iter().take(5).enumerate() {
        let (w, _) = fold(t.text);
        if matches!(
            w.as_str(),
            "in" | "of"
                | "on"
                | "at"
                | "for"
                | "from"
                | "with"
                | "to"
                | "into"
                | "about"
                | "by"
                | "who"
                | "which"
                | "that"
        ) {
            break;
        }
        let slot = k == 0 || name_slot(text, &toks, k, 0);
        if role_of_person(&toks, k) {
            // "the support agent", "the student worker".
            head = Who::Person;
            continue;
        }
        match classify(t.text, slot) {
            Some(who) => head = who,
            None if head != Who::Unknown && (verb_like(t.text) || w.ends_with("ing")) => break,
            None => {}
        }
        // A possessive person owns what follows; the person is who acted.
        if head == Who::Person && fold(t.text).1 {
            return Who::Person;
        }
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(text: &str, verb: &str) -> Who {
        before(text, text.find(verb).unwrap())
    }

    #[test]
    fn names_roles_and_things() {
        assert_eq!(who("Mateo missed the step.", "missed"), Who::Person);
        assert_eq!(who("Li Na skipped the backup.", "skipped"), Who::Person);
        assert_eq!(who("@jdoe missed the comment.", "missed"), Who::Person);
        assert_eq!(
            who("Ops overlooked the warning.", "overlooked"),
            Who::Person
        );
        assert_eq!(who("Kubernetes ignored the taint.", "ignored"), Who::Thing);
        assert_eq!(who("Replication failed to catch up.", "failed"), Who::Thing);
        assert_eq!(who("Payments failed to settle.", "failed"), Who::Thing);
        assert_eq!(who("The Vitess cluster failed over.", "failed"), Who::Thing);
        assert_eq!(
            who("At 14:02, Haruto pressed ahead.", "pressed"),
            Who::Person
        );
        assert_eq!(who("We missed the SLO.", "missed"), Who::We);
        assert_eq!(who("Pat's change broke login.", "broke"), Who::PersonsThing);
        assert_eq!(
            who(
                "The person who approved the PR is responsible.",
                "is responsible"
            ),
            Who::Person
        );
        assert_eq!(
            who("Bob, who was on call, saw the deploy failed.", "failed"),
            Who::Thing
        );
        assert_eq!(
            who("The engineer that failed to check.", "failed"),
            Who::Person
        );
    }

    #[test]
    fn passives_and_openers() {
        let s = "The alert was ignored by the on-call engineer until noon.";
        assert!(agent_after(s, s.find("ignored").unwrap() + 7));
        let s = "The alert was suppressed by a maintenance window.";
        assert!(!agent_after(s, s.find("suppressed").unwrap() + 10));
        let s = "Once again, the platform team pushed a change.";
        assert_eq!(after(s, 10), Who::Person);
        let s = "Once again, the disk filled.";
        assert_eq!(after(s, 10), Who::Thing);
        assert_eq!(noun_phrase("the support team's mishandling"), Who::Person);
        assert_eq!(
            noun_phrase("a race condition in the lock manager"),
            Who::Unknown
        );
    }
}
