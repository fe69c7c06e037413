#!/usr/bin/env python3
"""chaos_storm.py: an independent alert-storm generator for scoring squall.

Written from docs/DESIGN.md's format sections only, without reading squall's engine or its own
generator (`squall storm`), so that the engine is scored on storms it has never been tuned on.
Standard library only; deterministic for a given --profile and --seed.

Usage:
  python3 tools/eval/chaos_storm.py --out DIR --seed N [--profile NAME] [--noise X] [--faults K]
  profiles: boutique, sockshop, trainticket, random, mixed (default: one of the four per seed)
Writes DIR/alerts.ndjson (native NDJSON, change events included), DIR/topology.yaml and
DIR/truth.tsv (alert_id, incident, root, root_service, kind). --no-topology-file is accepted and
ignored (topology.yaml is always written; the runner decides whether to use it).

Model: services (1-5 pods each, on a shared node pool, 1-3 clusters) with a call graph. Faults
(cpu_hog, memory_leak, latency, packet_loss, pod_kill, bad_deploy/bad_config, datastore_down,
node_failure, disk_full) fire alerts on their root entity, then on callers up the graph with
per-hop delays of 10-180 s and a per-hop alert probability that decays. Alerts are re-sent every
30-60 s while firing and resolved at the end (unless still firing when the storm ends). Background
noise (singletons, crying wolves, slow warnings) is one `noise-N` truth incident per episode.
Label habits (which label carries service, node, pod, upstream...), alert names and naming style
vary per seed; some alerts are kube-state-metrics style (pod only, or deployment only) or
node-exporter style. The service label is one of squall's default service labels, or in about 1
seed in 14 only `job`. In a quarter of the seeds the written topology is slightly stale (a few
call edges missing). An alert whose exact label set is already firing for another cause is not
sent twice (the earlier cause owns it). Storms with --noise > 0 get extra noise episodes until
they hold at least 500 alerts.
"""
import argparse
import json
import math
import os
import random
import re

DAY0 = 1741917600000  # 2025-03-14T02:00:00Z
MIN, SEC = 60000, 1000
NEVER = float('inf')

# ---------------------------------------------------------------- topologies
BOUTIQUE = """frontend: productcatalog currency cart recommendation shipping checkout ad
checkout: productcatalog shipping currency cart email payment; recommendation: productcatalog
cart: redis-cart"""

SOCKSHOP = """front-end: catalogue carts orders user session-db; orders: carts user payment shipping orders-db
carts: carts-db; catalogue: catalogue-db; user: user-db; shipping: rabbitmq; queue-master: rabbitmq"""

# short names: "x" -> ts-x-service, "x-mongo"/"x-mysql" -> ts-x-mongo, ui-dashboard and rabbitmq kept
TRAINTICKET = """ui-dashboard: auth user travel travel2 order order-other preserve preserve-other contacts station route-plan travel-plan
ui-dashboard: food consign cancel rebook execute inside-payment assurance voucher admin-basic-info admin-order admin-route admin-travel admin-user news avatar
auth: verification-code auth-mongo; user: auth user-mongo; contacts: contacts-mongo
order: station order-mongo; order-other: station order-other-mongo; config: config-mongo
station: station-mongo; train: train-mongo; route: route-mongo; price: price-mongo
basic: station train route price; ticketinfo: basic; seat: order order-other config travel-mongo
travel: basic route train ticketinfo seat order travel-mongo
travel2: basic route train ticketinfo seat order-other travel2-mongo
route-plan: route travel travel2 station; travel-plan: travel travel2 route-plan seat station
security: order order-other security-mongo; assurance: assurance-mongo; food-map: food-map-mongo
food: food-map travel station food-mongo rabbitmq; consign-price: consign-price-mongo
consign: consign-price consign-mongo; notification: rabbitmq; payment: payment-mongo
inside-payment: order order-other payment inside-payment-mongo
preserve: security contacts travel ticketinfo seat user assurance station order food consign notification
preserve-other: security contacts travel2 ticketinfo seat user assurance station order-other food consign notification
cancel: order order-other inside-payment user notification
rebook: order order-other travel travel2 inside-payment seat station; execute: order order-other
voucher: order order-other voucher-mysql; admin-basic-info: station train config price contacts
admin-order: order order-other; admin-route: route; admin-travel: travel travel2; admin-user: user
delivery: rabbitmq delivery-mongo"""

NOUNS = ("billing ledger invoice catalog search auth profile session inventory pricing tax fraud risk "
         "ranking feed notify mail sms media thumbnail upload geo routing quote cart order fulfil "
         "warehouse returns loyalty coupon review rating chat presence audit export report scheduler "
         "identity wallet payout kyc ads tracking shipment label sku promo bundle wishlist").split()
ROLES = "api svc worker gateway backend service consumer proxy engine sync".split()
STORES = ["{}-db", "pg-{}", "redis-{}", "kafka-{}", "mongo-{}", "es-{}", "{}-mysql", "{}-queue"]


def parse_topo(text, rename=lambda s: s):
    deps = {}
    for line in re.split(r'[;\n]', text.strip()):
        name, _, rest = line.partition(':')
        deps.setdefault(rename(name.strip()), []).extend(rename(d) for d in rest.split())
    for d in [d for ds in deps.values() for d in ds if d not in deps]:
        deps[d] = []  # leaves (and datastores) need no line of their own
    return deps


def tt_name(s):
    if s in ('ui-dashboard', 'rabbitmq'):
        return 'ts-ui-dashboard' if s == 'ui-dashboard' else s
    return 'ts-' + s if s.endswith(('-mongo', '-mysql')) else 'ts-%s-service' % s


def random_topo(rng):
    n = int(math.exp(rng.uniform(math.log(30), math.log(300))))
    n_layers = rng.randint(4, 8)
    density = rng.uniform(0.6, 3.0)
    n_store = max(3, int(n * rng.uniform(0.1, 0.2)))
    used = set()
    def fresh(pattern):
        while True:
            base = pattern.format(rng.choice(NOUNS), rng.choice(ROLES))
            name = base if base not in used else '%s-%d' % (base, rng.randint(2, 99))
            if name not in used:
                used.add(name)
                return name
    layers = [[] for _ in range(n_layers)]
    for i in range(n - n_store):  # layer 0: a few entry points, the rest spread out
        li = 0 if i < max(1, n // 25) else rng.randint(1, n_layers - 1)
        layers[li].append(fresh(rng.choice(["{}-{}", "{}-{}", "{}{}"]) if li else "{}-gateway"))
    layers = [l for l in layers if l] + [[fresh(rng.choice(STORES).replace('{}', '{0}')) for _ in range(n_store)]]
    deps, hubs = {}, {}
    for li, layer in enumerate(layers):
        for s in layer:
            deps[s] = []
            if li == len(layers) - 1:
                continue
            k = 1 + min(8, int(rng.expovariate(1 / density)))
            for _ in range(k):
                tl = li + 1 if rng.random() < 0.6 else rng.randint(li + 1, len(layers) - 1)
                pool = layers[tl]
                # preferential attachment: some services become hubs (auth, config...)
                t = max(pool, key=lambda x: hubs.get(x, 0) + rng.random() * 3) if rng.random() < 0.3 else rng.choice(pool)
                if t not in deps[s]:
                    deps[s].append(t)
                    hubs[t] = hubs.get(t, 0) + 1
    return deps


def store_type(name):
    for key, typ in (('redis', 'redis'), ('mongo', 'mongo'), ('rabbitmq', 'rabbitmq'), ('queue', 'rabbitmq'),
                     ('kafka', 'kafka'), ('mysql', 'mysql'), ('pg-', 'postgres'), ('es-', 'elastic')):
        if key in name:
            return typ
    return 'postgres' if name.endswith('-db') else None


# ---------------------------------------------------------------- vocabulary
# symptom category -> alert names; a storm picks one per category, another team sometimes another
VOCAB = {c: names.split() for c, _, names in (l.partition(': ') for l in """\
cpu: CPUThrottlingHigh ContainerCpuUsageHigh HighCPUUsage PodCpuSaturated
mem: KubeContainerMemoryNearLimit ContainerMemoryUsageHigh HighMemoryUsage MemoryLeakSuspected
oom: KubeContainerOOMKilled ContainerOOMKilled PodOOMKilled
latency: HighRequestLatency LatencyP99High SLOLatencyBurn SlowResponses ApdexScoreLow
errors: HighErrorRate ErrorBudgetBurn Http5xxRateHigh RequestFailureRateHigh KubeSvcErrorRatio
upstream: UpstreamConnectErrors DependencyFailing GrpcClientErrorsHigh CircuitBreakerOpen
timeout: UpstreamTimeouts ClientTimeoutRateHigh EnvoyUpstreamRqTimeout RequestTimeoutsHigh
crash: KubePodCrashLooping PodRestartingFrequently ContainerRestartsHigh
replicas: KubeDeploymentReplicasMismatch KubeDeploymentUnavailable DeploymentDegraded
notready: KubePodNotReady PodNotHealthy KubePodNotRunning
down: TargetDown InstanceDown ScrapeTargetMissing EndpointDown
net: NetworkPacketLoss TCPRetransmitsHigh ContainerNetworkErrors PacketDropRateHigh
node_notready: KubeNodeNotReady NodeNotReady NodeDown
node_unreach: KubeNodeUnreachable NodeExporterDown HostUnreachable
node_load: NodeHighLoad NodeLoadHigh HostHighCpuLoad NodeCPUSaturated
disk_fill: NodeFilesystemSpaceFillingUp DiskWillFillIn4Hours HostDiskFillingUp
disk_full: NodeFilesystemAlmostOutOfSpace DiskFull HostOutOfDiskSpace
disk_pressure: KubeNodeDiskPressure NodeDiskPressure KubeletEvictingPods
evicted: KubePodEvicted PodEvicted
change: Deploy DeploymentRollout ChangeEvent ArgoSync""".splitlines())}
# datastore type -> two names for "down", one for "too many connections"
DB = {t: names.split() for t, _, names in (l.partition(': ') for l in """\
redis: RedisDown RedisMissingMaster RedisRejectedConnections
mongo: MongodbDown MongodbReplicaMemberUnhealthy MongodbTooManyConnections
rabbitmq: RabbitmqNodeDown RabbitmqUnreachable RabbitmqTooManyUnackMessages
kafka: KafkaBrokerDown KafkaOfflinePartitions KafkaUnderReplicatedPartitions
mysql: MysqlDown MySQLInstanceDown MysqlTooManyConnections
postgres: PostgresqlDown PgInstanceDown PostgresqlTooManyConnections
elastic: ElasticsearchClusterRed ElasticsearchNodeDown ElasticsearchHeapUsageTooHigh""".splitlines())}
NOISE_SVC = ['KubeJobFailed', 'KubePersistentVolumeFillingUp', 'KubeHpaMaxedOut', 'LogErrorRateHigh', 'SlowQueries',
             'GCPauseLong', 'ThreadPoolSaturated', 'CertificateExpiringSoon', 'CronJobMissedSchedule', 'CacheHitRateLow']
NOISE_NODE = ['NodeClockNotSynchronising', 'NodeNetworkInterfaceFlapping', 'NodeHighLoad', 'NodeMemoryPressure']
NOISE_GLOBAL = ['PrometheusRuleFailures', 'KubeCPUOvercommit', 'KubeQuotaAlmostFull', 'ConfigReloaderSidecarErrors',
                'AlertmanagerFailedToSendAlerts', 'Watchdog']
TEAMS = ['payments', 'checkout', 'platform', 'growth', 'core', 'search', 'identity', 'data', 'sre', 'mobile']
SUMMARY = {'cpu': 'CPU throttled {v:.0%} on {e}', 'mem': 'memory at {v:.0%} of limit on {e}', 'latency': 'p99 latency {v:.2f}s on {e}',
           'errors': 'error ratio {v:.1%} on {e}', 'upstream': '{e}: calls failing', 'timeout': '{e}: requests timing out',
           'net': 'packet loss {v:.1%} on {e}', 'node_load': 'load per core {v:.1f} on {e}', 'disk_fill': '{e} filesystem {v:.0%} used',
           'disk_full': '{e} filesystem {v:.0%} used'}


class Storm:
    def __init__(self, args):
        self.rng = rng = random.Random('%s:%d' % (args.profile, args.seed))
        profile = args.profile if args.profile != 'mixed' else rng.choice(['boutique', 'sockshop', 'trainticket', 'random'])
        self.profile = profile
        if profile == 'boutique':
            suffix = rng.random() < 0.5  # Online Boutique's own names: cartservice, checkoutservice...
            self.deps = parse_topo(BOUTIQUE, lambda s: s + 'service' if suffix and s not in ('frontend', 'redis-cart') else s)
        elif profile == 'sockshop':
            self.deps = parse_topo(SOCKSHOP)
        elif profile == 'trainticket':
            self.deps = parse_topo(TRAINTICKET, tt_name)
        else:
            self.deps = random_topo(rng)
        self.callers = {s: [] for s in self.deps}
        for s, ds in self.deps.items():
            for d in ds:
                self.callers[d].append(s)
        self.length = rng.randint(20, 90) * MIN
        self.t_base = DAY0 + rng.randrange(0, 30 * 24 * 60) * MIN
        self.noise_mult = args.noise
        self.habits()
        self.deploy()
        self.fired = {}  # label set -> firing windows
        self.lines = []  # (ts, line, truth) truth = (incident, root-candidate, root_service, kind) or None
        self.n_noise = 0

    # ------------------------------------------------------------ label habits and naming
    def habits(self):
        rng = self.rng
        svc_keys = ['service', 'app', 'app_kubernetes_io_name', 'k8s_app', 'service_name', 'application', 'job']
        self.k_svc = rng.choices(svc_keys, weights=[4, 3, 3, 1, 1, 1, 1])[0]
        # a second team with another habit labels some services differently
        self.k_svc2 = rng.choice([k for k in svc_keys if k != self.k_svc]) if rng.random() < 0.3 else None
        self.k_node = rng.choice(['node', 'kubernetes_node', 'nodename', 'node_name', 'host', 'hostname'])
        self.k_pod = rng.choice(['pod', 'pod_name', 'kubernetes_pod_name'])
        self.k_ns = rng.choice(['namespace', 'kubernetes_namespace'])
        self.k_cluster = rng.choice(['cluster', 'cluster_name'])
        self.k_zone = rng.choice([None, 'zone', 'availability_zone', 'topology_kubernetes_io_zone'])
        self.k_up = rng.choice(['upstream', 'upstream_service', 'destination_service', 'destination_workload',
                                'dst_service', 'peer_service', 'target_service'])
        self.style = rng.choice(['camel', 'camel', 'snake', 'prefix'])
        self.prefix = rng.choice(['Shop', 'Prod', 'SRE', 'Platform', 'Ops'])
        self.pick = {c: rng.randrange(len(v)) for c, v in VOCAB.items()}
        self.alt = {}
        self.p_up = rng.uniform(0.15, 0.6)       # caller alerts naming the upstream they fail to reach
        self.p_node = rng.uniform(0.3, 0.95)     # pod-level alerts carrying the node
        self.p_svc_pod = rng.uniform(0.3, 0.9)   # pod-level alerts carrying the service
        self.p_team = rng.uniform(0, 1)
        self.p_deploy_label = rng.uniform(0, 0.8)
        self.env = rng.choice([None, 'prod', 'production', 'prd', 'live'])
        self.period = rng.randint(30, 60) * SEC
        self.stale = rng.random() < 0.25

    def name(self, cat, svc=None):
        """Alert name for a symptom category: the storm's pick, or another team's variant."""
        variants = VOCAB[cat]
        team = self.svc[svc]['team'] if svc in self.svc else None
        key = (cat, team)
        if key not in self.alt:
            self.alt[key] = self.pick[cat] if self.rng.random() < 0.85 else self.rng.randrange(len(variants))
        return self.styled(variants[self.alt[key]])

    def styled(self, n):
        if n.startswith(('Kube', 'Node', 'Target', 'Watchdog')):  # mixin names survive local habits
            return n
        if self.style == 'snake':
            return re.sub(r'(?<=[a-z0-9])([A-Z])', r'_\1', n).lower()
        return self.prefix + n if self.style == 'prefix' else n

    # ------------------------------------------------------------ placement
    def deploy(self):
        rng = self.rng
        n_clusters = rng.choices([1, 2, 3], weights=[5, 3, 2])[0]
        cstyle = rng.choice(['prod-{r}-{i}', 'gke-{r}', 'k8s-dc{i}', 'eks-{r}-main'])
        regions = rng.sample(['eu-west-1', 'us-east-1', 'us-central1', 'ap-south-1', 'eu-north-1'], n_clusters)
        self.clusters = [cstyle.format(r=r, i=i + 1) for i, r in enumerate(regions)]
        nstyle = rng.choice(['ip-10-{c}-{a}-{b}', 'gke-{cl}-pool-{p}-{h}', 'node-{n:02d}', 'worker{n}.dc{c}'])
        self.nodes = {}  # node -> dict(cluster, ip, zone, pods[])
        ns_names = {'boutique': ['boutique', 'default', 'shop'], 'sockshop': ['sock-shop'],
                    'trainticket': ['train-ticket', 'ts']}.get(self.profile, ['apps', 'core', 'edge', 'data', 'payments', 'platform'])
        svcs = list(self.deps)
        self.svc = {}
        for s in svcs:
            st = store_type(s)
            self.svc[s] = dict(cluster=rng.choice(self.clusters), ns=rng.choice(ns_names), team=rng.choice(TEAMS),
                               store=st, port=rng.choice([8080, 9090, 3000, 5000, 50051, 8000]), pods=[],
                               ver='v%d.%d.%d' % (rng.randint(1, 3), rng.randint(0, 30), rng.randint(0, 9)),
                               key=self.k_svc2 if self.k_svc2 and rng.random() < 0.3 else self.k_svc)
        for ci, cl in enumerate(self.clusters):
            members = [s for s in svcs if self.svc[s]['cluster'] == cl]
            pods = sum(1 + (self.svc[s]['store'] is None) * 2 for s in members)
            n_nodes = max(2, int(pods / rng.uniform(4, 12)))
            pool = []
            for i in range(n_nodes):
                nn = nstyle.format(c=ci, a=rng.randint(0, 255), b=rng.randint(1, 254), cl=cl, p=rng.randint(1, 3),
                                   h='%04x' % rng.randrange(65536), n=len(self.nodes) + 1)
                self.nodes[nn] = dict(cluster=cl, ip='10.%d.%d.%d' % (ci, rng.randint(0, 255), rng.randint(1, 254)),
                                      zone=regions[ci] + 'abc'[i % 3] if self.k_zone else None, pods=[])
                pool.append(nn)
            for s in members:
                info = self.svc[s]
                n_pods = (3 if rng.random() < 0.4 else 1) if info['store'] else rng.choices([1, 2, 3, 4, 5], [2, 4, 4, 2, 1])[0]
                h = ''.join(rng.choice('0123456789abcdef') for _ in range(9))
                for k in range(n_pods):
                    if info['store']:  # statefulset
                        pod = '%s-%d' % (s, k)
                    else:
                        pod = '%s-%s-%s' % (s, h, ''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5)))
                    node = rng.choice(pool)
                    ip = '10.%d.%d.%d' % (100 + ci, rng.randint(0, 255), rng.randint(1, 254))
                    info['pods'].append((pod, node, ip))
                    self.nodes[node]['pods'].append((pod, s))

    # ------------------------------------------------------------ labels
    def common(self, sev, cluster):
        lab = {'severity': sev, self.k_cluster: cluster}
        if self.env:
            lab['env'] = self.env
        return lab

    def labels(self, alertname, sev, s=None, level='svc', pod=None, node=None, up=None):
        """level: svc (service-level rule), pod (cadvisor/app pod metrics), ksm (kube-state-metrics:
        pod only), workload (deployment/statefulset), target (scrape target), node (node-exporter)."""
        rng = self.rng
        if level == 'node':
            nd = self.nodes[node]
            lab = self.common(sev, nd['cluster'])
            lab.update({'job': 'node-exporter', 'instance': rng.choice([nd['ip'], node]) + ':9100', self.k_node: node})
            if nd['zone']:
                lab[self.k_zone] = nd['zone']
        else:
            info = self.svc[s]
            lab = self.common(sev, info['cluster'])
            lab[self.k_ns] = info['ns']
            if level == 'ksm':
                lab.update({'job': 'kube-state-metrics', 'instance': '10.%d.0.17:8080' % self.clusters.index(info['cluster']),
                            self.k_pod: pod[0], 'container': info['store'] or s})
            elif level == 'workload':
                lab.update({'job': 'kube-state-metrics', 'statefulset' if info['store'] else 'deployment': s})
                if rng.random() < 0.3:
                    lab[info['key']] = s
            else:
                if self.p_team > 0.4:
                    lab['team'] = info['team']
                if level in ('pod', 'target') and pod:
                    lab.update({self.k_pod: pod[0], 'instance': '%s:%d' % (pod[2], info['port']), 'container': s})
                    if level == 'pod' and rng.random() < self.p_node:
                        lab[self.k_node] = pod[1]
                        if self.k_zone and self.nodes[pod[1]]['zone']:
                            lab[self.k_zone] = self.nodes[pod[1]]['zone']
                if level != 'pod' or rng.random() < self.p_svc_pod:
                    lab['job'] = s if level == 'target' or rng.random() < 0.5 else 'kubernetes-pods'
                    lab[info['key']] = s
                if up:
                    lab[self.k_up] = up
                if info.get('bad') and rng.random() < self.p_deploy_label:
                    lab['deploy'] = info['bad']
        lab['alertname'] = alertname
        return {k: str(v) for k, v in lab.items()}

    # ------------------------------------------------------------ emission
    def series(self, lab, t0, t1, truth, summary='', value=None, windows=None):
        """One alert: firing every period while inside a window, resolved at each window's end."""
        rng = self.rng
        period = self.period + rng.choice([0, 0, 15 * SEC])
        # an alert already firing with exactly these labels (another cause) hides this one meanwhile
        def free(lab):
            taken = self.fired.setdefault(tuple(sorted(lab.items())), [])
            return [(a, b) for a, b in windows or [(t0, t1)] if not any(a < y and x < b for x, y in taken)]
        wins = free(lab)
        if not wins and truth and truth[1]:  # the root's own alert: its twin with the other severity fires
            twin = dict(lab, severity='warning' if lab['severity'] == 'critical' else 'critical')
            lab, wins = (twin, free(twin)) if free(twin) else (lab, windows or [(t0, t1)])  # (rarely both busy)
        self.fired[tuple(sorted(lab.items()))].extend(wins)
        windows = wins
        for w0, w1 in windows:
            t = max(w0, 0)
            while t < min(w1, self.length):
                v = None if value is None else round(value * rng.uniform(0.85, 1.2), 4)
                if v is not None and summary in ('errors', 'net', 'mem', 'cpu', 'disk_fill', 'disk_full'):
                    v = min(v, 0.999)  # ratios
                ent = next((lab[k] for k in (self.k_svc, self.k_svc2, self.k_pod, self.k_node) if k in lab), 'cluster')
                summ = (SUMMARY.get(summary, summary) or lab['alertname'] + ' on {e}').format(v=v or 0, e=ent)
                self.add(int(t), 'firing', lab, summ, v, truth)
                t += period + rng.randint(-2000, 2000)
            if w1 < self.length and w1 >= 0:
                self.add(int(w1), 'resolved', lab, 'resolved', None, truth)

    def add(self, ts, status, lab, summary, value, truth):
        line = {'ts': self.t_base + ts, 'status': status, 'labels': lab, 'annotations': {'summary': summary}}
        if value is not None:
            line['value'] = value
        self.lines.append((ts, line, truth))

    def change(self, t, s, ctype, detail):
        if not 0 <= t < self.length:
            return
        info = self.svc[s]
        lab = {'alertname': self.styled(VOCAB['change'][self.pick['change']]), 'service': s, 'change_type': ctype,
               self.k_ns: info['ns'], self.k_cluster: info['cluster']}
        if ctype == 'deploy':
            lab['deploy'] = detail
        line = {'ts': self.t_base + int(t), 'kind': 'change', 'status': 'firing', 'labels': lab,
                'annotations': {'summary': '%s %s (%s)' % (ctype, detail, self.rng.choice(['argo-cd', 'spinnaker', 'ci', 'jdoe']))}}
        self.lines.append((int(t), line, None))

    def pods_of(self, s, k=None):
        pods = self.svc[s]['pods']
        return pods if k is None else self.rng.sample(pods, min(k, len(pods)))

    # ------------------------------------------------------------ faults
    def emit(self, truth, cat, sev, t0, t1, s=None, level='svc', pod=None, node=None, summary='', value=None):
        self.series(self.labels(self.name(cat, s), sev, s, level, pod=pod, node=node), t0, t1, truth, summary, value)

    def symptom(self, truth, s, cat, t0, t1, sev, level='svc', value=None, up=None, pods=None):
        """One symptom on service s: a service-level series or one series per pod."""
        name = self.name(cat, s)
        for pod in (pods or [None]) if level != 'svc' else [None]:
            self.series(self.labels(name, sev, s, level, pod=pod, up=up), t0, t1, truth, cat, value)

    def propagate(self, fid, kind, rs, src, t_on, t_off, mode, p0=None):
        """Symptoms climb to callers: 10-180 s per hop, alerting with a probability that decays per hop."""
        rng = self.rng
        p0 = p0 or rng.uniform(0.55, 0.95)
        decay, max_hops = rng.uniform(0.4, 0.75), rng.randint(2, 5)
        truth = (fid, False, rs, kind)
        frontier, seen = [(src, t_on, 0)], {src}
        while frontier:
            s, t, hop = frontier.pop(0)
            if hop >= max_hops:
                continue
            for c in self.callers[s]:
                if c in seen:
                    continue
                seen.add(c)
                tc = t + rng.uniform(10, 180) * SEC
                frontier.append((c, tc, hop + 1))
                if rng.random() >= p0 * decay ** hop:
                    continue
                end = t_off + rng.uniform(0, 180) * SEC
                if rng.random() < 0.25:  # intermittent caller symptom
                    end = min(end, tc + rng.uniform(2, 8) * MIN)
                sev = 'critical' if hop == 0 and rng.random() < 0.6 else 'warning'
                cat = 'latency' if mode == 'latency' else 'errors'
                value = 0.8 + rng.random() * 3 if cat == 'latency' else rng.uniform(0.05, 0.5)
                for level in [lv for lv, p in (('svc', 0.8), ('pod', 0.45)) if rng.random() < p] or ['svc']:
                    self.symptom(truth, c, cat, tc + rng.uniform(0, 40) * SEC, end, sev, level, value, pods=self.pods_of(c, 3))
                if rng.random() < self.p_up + (0.3 if mode == 'hard' and hop == 0 else 0):
                    self.symptom(truth, c, 'timeout' if mode == 'latency' else 'upstream', tc + rng.uniform(0, 60) * SEC,
                                 end, sev, up=s)

    def fault(self, fid, kind, root, t0, t1):
        rng = self.rng
        rs = 'node:' + root if kind in ('node_failure', 'disk_full') else root
        own, other = (fid, True, rs, kind), (fid, False, rs, kind)
        lag = rng.uniform(2, 5) * MIN if rng.random() < 0.15 else rng.uniform(0, 45) * SEC  # root rule with a long `for:`
        lag = min(lag, self.length - t0 - 2 * MIN)
        s = root
        if kind == 'cpu_hog':
            self.symptom(own, s, 'cpu', t0 + lag, t1, 'warning', 'pod', rng.uniform(0.5, 0.95), pods=self.pods_of(s, rng.randint(1, 5)))
            self.symptom(own, s, 'latency', t0 + lag + 40 * SEC, t1, 'critical', value=rng.uniform(1, 4))
            self.propagate(fid, kind, rs, s, t0, t1, 'latency')
        elif kind == 'memory_leak':
            t_oom = t0 + rng.uniform(5, 15) * MIN
            self.symptom(own, s, 'mem', t0 + lag, t1, 'warning', 'pod', rng.uniform(0.85, 0.99), pods=self.pods_of(s))
            for pod in self.pods_of(s):
                to = t_oom + rng.uniform(0, 120) * SEC
                self.emit(own, 'oom', 'warning', to, to + 5 * MIN, s, 'ksm', pod)
                if rng.random() < 0.6:
                    self.emit(own, 'crash', 'warning', to + 90 * SEC, t1, s, 'ksm', pod)
            self.symptom(own, s, 'errors', t_oom + 30 * SEC, t1, 'critical', value=rng.uniform(0.05, 0.4))
            self.propagate(fid, kind, rs, s, t_oom, t1, 'errors')
        elif kind == 'latency':
            self.symptom(own, s, 'latency', t0 + lag, t1, 'critical', rng.choice(['svc', 'pod']), rng.uniform(1, 6), pods=self.pods_of(s))
            self.propagate(fid, kind, rs, s, t0, t1, 'latency')
        elif kind == 'packet_loss':
            self.symptom(own, s, 'net', t0 + lag, t1, 'warning', 'pod', rng.uniform(0.02, 0.3), pods=self.pods_of(s, rng.randint(1, 3)))
            self.symptom(own, s, 'errors', t0 + lag + 60 * SEC, t1, 'critical', value=rng.uniform(0.02, 0.3))
            self.propagate(fid, kind, rs, s, t0, t1, 'hard')
        elif kind == 'pod_kill':
            pod, t1 = self.pods_of(s, 1)[0], t0 + rng.uniform(2, 6) * MIN
            self.emit(own, 'notready', 'warning', t0 + lag, t1, s, 'ksm', pod)
            self.emit(own, 'down', 'critical', t0 + lag + 30 * SEC, t1, s, 'target', pod)
            self.emit(own, 'replicas', 'warning', t0 + lag + 60 * SEC, t1 + 30 * SEC, s, 'workload')
            if rng.random() < 0.3:
                self.emit(own, 'crash', 'warning', t0 + 2 * MIN, t1, s, 'ksm', pod)
            if len(self.svc[s]['pods']) <= 2:
                self.symptom(own, s, 'errors', t0 + 45 * SEC, t0 + rng.uniform(1, 3) * MIN, 'critical', value=rng.uniform(0.1, 0.9))
                self.propagate(fid, kind, rs, s, t0, t1, 'errors', p0=0.35)
        elif kind in ('bad_deploy', 'bad_config'):
            info = self.svc[s]
            tc = max(0, t0 - rng.uniform(0, 10) * MIN)
            new = '%s@v%d.%d.%d' % (s, rng.randint(1, 3), rng.randint(0, 30), rng.randint(0, 9))
            if kind == 'bad_deploy':
                self.change(tc, s, 'deploy', new)
                info['bad'] = new
            else:
                ctype = rng.choice(['config', 'feature_flag'])
                self.change(tc, s, ctype, rng.choice(['flag/new-checkout-flow', 'configmap/%s' % s, 'pool-size']))
            self.symptom(own, s, 'errors', t0 + lag, t1, 'critical', rng.choice(['svc', 'pod']), rng.uniform(0.05, 0.9),
                         pods=self.pods_of(s))
            if rng.random() < 0.4:
                for pod in self.pods_of(s):
                    self.emit(own, 'crash', 'warning', t0 + rng.uniform(1, 3) * MIN, t1, s, 'ksm', pod)
            if rng.random() < 0.3:
                self.symptom(own, s, 'latency', t0 + 60 * SEC, t1, 'warning', value=rng.uniform(1, 3))
            if t1 < self.length and rng.random() < 0.6:
                self.change(t1 - 30 * SEC, s, 'deploy', '%s@%s' % (s, info['ver']))  # rollback
            self.propagate(fid, kind, rs, s, t0, t1, 'errors')
        elif kind == 'datastore_down':
            st = self.svc[s]['store']
            if rng.random() < 0.4:
                self.series(self.labels(self.styled(DB[st][2]), 'warning', s, 'svc'), t0 - rng.uniform(1, 3) * MIN, t0 + 2 * MIN, own)
            name = self.styled(DB[st][self.pick['down'] % 2])
            self.series(self.labels(name, 'critical', s, 'svc'), t0 + lag, t1, own, '%s is down' % s)
            for pod in self.pods_of(s):
                self.emit(own, 'down', 'critical', t0 + lag + 20 * SEC, t1, s, 'target', pod)
            self.propagate(fid, kind, rs, s, t0, t1, 'hard', p0=0.9)
        elif kind == 'node_failure':
            nd = self.nodes[root]
            if rng.random() < 0.5:
                self.emit(own, 'node_load', 'warning', t0, t0 + 3 * MIN, level='node', node=root, summary='node_load', value=rng.uniform(2, 9))
            tn = t0 + rng.uniform(1, 3) * MIN
            self.emit(own, 'node_notready', 'critical', tn, t1, level='node', node=root)
            if rng.random() < 0.6:
                self.emit(own, 'node_unreach', 'critical', tn + 30 * SEC, t1, level='node', node=root)
            resched = tn + rng.uniform(5, 8) * MIN
            hit = []
            for pod_name, s in nd['pods']:
                pod = next(p for p in self.svc[s]['pods'] if p[0] == pod_name)
                self.emit(other, 'notready', 'warning', tn + rng.uniform(30, 90) * SEC, resched, s, 'ksm', pod)
                if rng.random() < 0.5:
                    self.emit(other, 'down', 'warning', tn + 40 * SEC, resched, s, 'target', pod)
                if s not in hit:
                    hit.append(s)
            for s in hit:
                self.emit(other, 'replicas', 'warning', tn + 2 * MIN, resched, s, 'workload')
                if all(p[1] == root for p in self.svc[s]['pods']):
                    self.symptom(other, s, 'errors', tn + 60 * SEC, resched, 'critical', value=rng.uniform(0.3, 1))
                    self.propagate(fid, kind, rs, s, tn + 60 * SEC, resched, 'hard')
                elif rng.random() < 0.4:
                    self.symptom(other, s, 'latency', tn + 60 * SEC, tn + rng.uniform(2, 4) * MIN, 'warning', value=rng.uniform(1, 3))
        elif kind == 'disk_full':
            tf = t0 + rng.uniform(2, 10) * MIN
            self.emit(own, 'disk_fill', 'warning', t0, t1, level='node', node=root, summary='disk_fill', value=rng.uniform(0.8, 0.9))
            wins, t = [], tf
            while t < min(t1, self.length):  # flapping: cleanup jobs free a little space, logs fill it again
                w1 = t + rng.uniform(2, 6) * MIN
                wins.append((t, min(w1, t1)))
                t = w1 + rng.uniform(1, 4) * MIN
            lab = self.labels(self.name('disk_full'), 'critical', node=root, level='node')
            lab.update(mountpoint=rng.choice(['/', '/var/lib/kubelet', '/var/lib/docker']), device='/dev/nvme0n1p1', fstype='ext4')
            self.series(lab, 0, 0, own, 'disk_full', rng.uniform(0.95, 0.99), windows=wins)
            if rng.random() < 0.5:
                self.emit(own, 'disk_pressure', 'warning', tf + 60 * SEC, t1, level='node', node=root)
            if rng.random() < 0.3 and self.nodes[root]['pods']:
                pod_name, s = rng.choice(self.nodes[root]['pods'])
                pod = next(p for p in self.svc[s]['pods'] if p[0] == pod_name)
                self.emit(other, 'evicted', 'warning', tf + 2 * MIN, tf + 4 * MIN, s, 'ksm', pod)

    def schedule_faults(self, k):
        rng = self.rng
        n = len(self.deps)
        k = k or rng.randint(3, min(15, max(6, 3 + n // 5)))
        apps = [s for s in self.deps if not self.svc[s]['store']]
        stores = [s for s in self.deps if self.svc[s]['store']]
        kinds = ['cpu_hog', 'memory_leak', 'latency', 'packet_loss', 'pod_kill', 'bad_deploy', 'bad_config',
                 'datastore_down', 'node_failure', 'disk_full']
        weights = [2, 1.5, 2, 1, 1.5, 2, 0.7, 1.2 if stores else 0, 1, 1]
        faults, used = [], set()
        for i in range(k):
            kind = rng.choices(kinds, weights)[0]
            if kind in ('node_failure', 'disk_full'):
                pool = [nd for nd in self.nodes if self.nodes[nd]['pods'] or kind == 'disk_full']
            else:
                pool = stores if kind == 'datastore_down' else apps
                if faults and rng.random() < 0.3:  # adjacent in topology to an earlier fault
                    prev = rng.choice(faults)[2]
                    near = [x for x in self.deps.get(prev, []) + self.callers.get(prev, []) if x in pool]
                    pool = near or pool
            pool = [x for x in pool if x not in used]
            if not pool:  # every candidate already failed: fall back to a fresh service, or fail one twice
                kind, pool = 'latency', [x for x in apps + stores if x not in used] or apps + stores
            root = rng.choices(pool, [1 + len(self.callers.get(x, [])) for x in pool])[0]  # busy services fail visibly
            used.add(root)
            if faults and rng.random() < 0.35:  # concurrent with an earlier, unrelated fault
                t0 = rng.choice(faults)[3] + rng.uniform(-2, 4) * MIN
            else:
                t0 = rng.uniform(1, max(2, self.length / MIN * 0.75)) * MIN
            t0 = min(max(t0, 60 * SEC), self.length - 3 * MIN)
            t1 = NEVER if rng.random() < 0.25 else t0 + rng.uniform(5, 40) * MIN
            faults.append(('f%d' % (i + 1), kind, root, t0, t1))
        for f in faults:
            self.fault(*f)
        return faults

    # ------------------------------------------------------------ background
    def noise(self):
        rng = self.rng
        n = len(self.deps)
        for _ in range(round(self.noise_mult * (4 + n * self.length / (60 * MIN) * rng.uniform(0.2, 0.6)))):
            self.noise_episode()
        while self.noise_mult > 0 and sum(1 for ts, _, truth in self.lines if truth and 0 <= ts < self.length) < 500:
            self.noise_episode()  # a storm is at least 500 alerts (unless --noise 0)
        for _ in range(int(self.length / MIN / rng.uniform(4, 12) * (1 + n / 50))):  # unrelated changes
            s = rng.choice(list(self.deps))
            ctype = rng.choices(['deploy', 'config', 'feature_flag'], [5, 2, 1])[0]
            t = rng.uniform(0, self.length)
            version = '%s@v%d.%d.%d' % (s, rng.randint(1, 3), rng.randint(0, 30), rng.randint(0, 9))
            self.change(t, s, ctype, version if ctype == 'deploy' else 'flag/%s' % rng.choice(NOUNS))

    def noise_episode(self):
        """One background episode, its own truth incident: singleton, crying wolf, slow warning..."""
        rng = self.rng
        self.n_noise += 1
        truth = ('noise-%d' % self.n_noise, False, '', 'noise')
        typ = rng.choices(['single', 'wolf', 'slow', 'pod', 'node', 'global'], [5, 3, 2, 2, 1.5, 0.7])[0]
        t0 = rng.uniform(-20, self.length / MIN) * MIN if typ == 'slow' else rng.uniform(0, self.length / MIN - 1) * MIN
        s = rng.choice(list(self.deps))
        cat = rng.choice(['latency', 'errors', 'cpu', 'mem', 'latency'])
        if self.svc[s]['store'] and typ in ('single', 'wolf'):
            cat = 'mem' if rng.random() < 0.5 else 'cpu'  # datastores do not have SLO alerts
        sev = rng.choices(['warning', 'info', 'critical'], [6, 3, 1])[0]
        value = rng.uniform(0.6, 3) if cat == 'latency' else rng.uniform(0.05, 0.8) if cat == 'errors' else rng.uniform(0.75, 0.95)
        if typ == 'single':
            name, summ = (self.name(cat, s), cat) if rng.random() < 0.5 else (self.styled(rng.choice(NOISE_SVC)), '')
            self.series(self.labels(name, sev, s, rng.choice(['svc', 'pod']), pod=rng.choice(self.svc[s]['pods'])),
                        t0, t0 + rng.uniform(1, 6) * MIN, truth, summ, value)
        elif typ == 'wolf':
            wins, t = [], t0
            for _ in range(rng.randint(3, 10)):
                w1 = t + rng.uniform(1, 4) * MIN
                wins.append((t, w1))
                t = w1 + rng.uniform(2, 8) * MIN
            self.series(self.labels(self.name(cat, s), sev, s, 'svc'), 0, 0, truth, cat, value, windows=wins)
        elif typ == 'slow':
            name = self.styled(rng.choice(['KubePersistentVolumeFillingUp', 'CertificateExpiringSoon', 'SlowQueries', 'HighMemoryUsage']))
            self.series(self.labels(name, 'warning', s, 'svc'), t0, t0 + rng.uniform(20, 200) * MIN, truth)
        elif typ == 'pod':
            pod = rng.choice(self.svc[s]['pods'])
            self.series(self.labels(self.name(rng.choice(['crash', 'notready', 'oom']), s), 'warning', s, 'ksm', pod=pod),
                        t0, t0 + rng.uniform(1, 5) * MIN, truth)
        elif typ == 'node':
            self.series(self.labels(self.styled(rng.choice(NOISE_NODE)), 'warning', node=rng.choice(list(self.nodes)), level='node'),
                        t0, t0 + rng.uniform(1, 10) * MIN, truth)
        else:
            lab = self.common(sev, rng.choice(self.clusters))
            lab.update(alertname=self.styled(rng.choice(NOISE_GLOBAL)), job=rng.choice(['prometheus', 'alertmanager', 'kube-state-metrics']))
            self.series(lab, t0, t0 + rng.uniform(2, 30) * MIN, truth)

    # ------------------------------------------------------------ output
    def write(self, out):
        rng = self.rng
        os.makedirs(out, exist_ok=True)
        keyed = [(ts + (rng.uniform(0, 5000) if rng.random() < 0.03 else 0), i, line, truth)
                 for i, (ts, line, truth) in enumerate(self.lines) if 0 <= ts < self.length]
        keyed.sort(key=lambda x: (x[0], x[1]))
        first = {}  # fault -> index of the first alert on its root entity
        for j, (_, _, line, truth) in enumerate(keyed):
            if truth and truth[1] and (truth[0] not in first or line['ts'] < keyed[first[truth[0]]][2]['ts']):
                first[truth[0]] = j
        alerts = 0
        with open(os.path.join(out, 'alerts.ndjson'), 'w') as fa, open(os.path.join(out, 'truth.tsv'), 'w') as ft:
            ft.write('alert_id\tincident\troot\troot_service\tkind\n')
            for j, (_, _, line, truth) in enumerate(keyed):
                aid = 'a-%06d' % (j + 1)
                fa.write(json.dumps(dict(id=aid, **line), separators=(',', ':')) + '\n')
                if truth:
                    alerts += 1
                    ft.write('%s\t%s\t%d\t%s\t%s\n' % (aid, truth[0], first.get(truth[0]) == j, truth[2], truth[3]))
        dropped = set()
        if self.stale:  # the topology file lags reality: a few call edges missing
            edges = [(a, b) for a, ds in self.deps.items() for b in ds]
            dropped = set(rng.sample(edges, max(1, len(edges) // 30)))
        with open(os.path.join(out, 'topology.yaml'), 'w') as fy:
            fy.write('services:\n')
            for s, ds in self.deps.items():
                fy.write('  %s: {depends_on: [%s]}\n' % (s, ', '.join(d for d in ds if (s, d) not in dropped)))
        return alerts, len(keyed) - alerts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--profile', default='mixed', choices=['boutique', 'sockshop', 'trainticket', 'random', 'mixed'])
    ap.add_argument('--noise', type=float, default=1.0, help='background noise multiplier')
    ap.add_argument('--faults', type=int, default=0, help='number of faults (default: 3-15 by topology size)')
    ap.add_argument('--no-topology-file', action='store_true', help='accepted for the runner; topology.yaml is always written')
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args()
    storm = Storm(args)
    faults = storm.schedule_faults(args.faults)
    storm.noise()
    alerts, changes = storm.write(args.out)
    if not args.quiet:
        print('%s seed %d: %d services, %d nodes, %d min, faults: %s; %d noise episodes, %d alerts, %d changes; labels: %s %s %s'
              % (storm.profile, args.seed, len(storm.deps), len(storm.nodes), storm.length // MIN, ' '.join(f[1] for f in faults),
                 storm.n_noise, alerts, changes, storm.k_svc, storm.k_node, storm.k_up))


if __name__ == '__main__':
    main()
