#!/usr/bin/env python3
# Alert storms modelled on public fault-injection data (RCAEval, Nezha, AIOps challenge, Chaos Mesh on
# Online Boutique / Sock Shop / Train-Ticket / a random system): one fault per case, cases over hours,
# alerts made the way a Prometheus stack makes them (rate windows, `for:`, resends, resolved; cAdvisor,
# kube-state-metrics, node-exporter, mesh or app metrics; label habits drawn per seed), symptoms spread
# to callers, noise episodes as their own truth incidents. Written from docs/DESIGN.md's formats only,
# so squall can be scored on storms it was not tuned on. stdlib only, deterministic per seed.
# Usage: fi_storm.py --system boutique|sockshop|trainticket|synthetic|mixed --seed N --out DIR [--quiet]
import argparse
import hashlib
import json
import math
import os
import random
import sys

ALPH = "bcdfghjklmnpqrstvwxz2456789"  # k8s SafeEncodeString alphabet (pod-template-hash, pod suffix)
MIN = 60_000
SEC = 1000


def sub_rng(*parts):
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def pick_w(rng, items):  # items: [(value, weight)]
    tot = sum(w for _, w in items)
    x = rng.random() * tot
    for v, w in items:
        x -= w
        if x <= 0:
            return v
    return items[-1][0]


# ----------------------------------------------------------------------------------------------
# Systems: real call graphs (A: [B...] means A calls B)

def sys_boutique(rng, ns):
    g = {
        "loadgenerator": ["frontend"],
        "frontend": ["productcatalogservice", "currencyservice", "cartservice", "recommendationservice",
                     "shippingservice", "checkoutservice", "adservice"],
        "checkoutservice": ["productcatalogservice", "shippingservice", "currencyservice", "cartservice",
                            "emailservice", "paymentservice"],
        "recommendationservice": ["productcatalogservice"],
        "cartservice": ["redis-cart"],
        "productcatalogservice": [], "currencyservice": [], "paymentservice": [], "shippingservice": [],
        "emailservice": [], "adservice": [], "redis-cart": [],
    }
    lang = {"frontend": "go", "cartservice": "csharp", "productcatalogservice": "go", "currencyservice": "node",
            "paymentservice": "node", "shippingservice": "go", "emailservice": "python", "checkoutservice": "go",
            "recommendationservice": "python", "adservice": "java", "loadgenerator": "python", "redis-cart": "redis"}
    port = {"frontend": 8080, "cartservice": 7070, "productcatalogservice": 3550, "currencyservice": 7000,
            "paymentservice": 50051, "shippingservice": 50051, "emailservice": 8080, "checkoutservice": 5050,
            "recommendationservice": 8080, "adservice": 9555, "loadgenerator": 8089, "redis-cart": 6379}
    svcs = []
    for s, deps in g.items():
        kind = "load" if s == "loadgenerator" else "cache" if s == "redis-cart" else "app"
        cont = "main" if kind == "load" else "redis" if kind == "cache" else "server"
        svcs.append(dict(name=s, deps=list(deps), kind=kind, lang=lang[s], port=port[s], container=cont,
                         ns=ns, podlabel="app", entry=(s == "frontend"), team="shop"))
    soft = {("frontend", "adservice"), ("frontend", "recommendationservice")}  # frontend swallows their errors
    return svcs, soft


def sys_sockshop(rng, ns):
    g = {
        "edge-router": ["front-end"],
        "front-end": ["catalogue", "carts", "orders", "user", "session-db"],
        "orders": ["carts", "user", "payment", "shipping", "orders-db"],
        "shipping": ["rabbitmq"], "queue-master": ["rabbitmq"],
        "carts": ["carts-db"], "catalogue": ["catalogue-db"], "user": ["user-db"], "payment": [],
        "carts-db": [], "orders-db": [], "user-db": [], "catalogue-db": [], "session-db": [], "rabbitmq": [],
    }
    lang = {"edge-router": "traefik", "front-end": "node", "orders": "java", "shipping": "java",
            "queue-master": "java", "carts": "java", "catalogue": "go", "user": "go", "payment": "go",
            "carts-db": "mongo", "orders-db": "mongo", "user-db": "mongo", "catalogue-db": "mysql",
            "session-db": "redis", "rabbitmq": "rabbitmq"}
    port = {"edge-router": 80, "front-end": 8079, "carts-db": 27017, "orders-db": 27017, "user-db": 27017,
            "catalogue-db": 3306, "session-db": 6379, "rabbitmq": 5672}
    svcs = []
    for s, deps in g.items():
        kind = "db" if s.endswith("-db") and s != "session-db" else "cache" if s == "session-db" else \
            "mq" if s == "rabbitmq" else "app"
        svcs.append(dict(name=s, deps=list(deps), kind=kind, lang=lang[s], port=port.get(s, 80), container=s,
                         ns=ns, podlabel="name", entry=(s == "front-end"), team="sock-shop"))
    return svcs, {("front-end", "session-db")}


TT = {
    "ts-ui-dashboard": ["ts-auth-service", "ts-verification-code-service", "ts-user-service", "ts-contacts-service",
                        "ts-travel-service", "ts-travel2-service", "ts-preserve-service", "ts-preserve-other-service",
                        "ts-order-service", "ts-order-other-service", "ts-cancel-service", "ts-rebook-service",
                        "ts-execute-service", "ts-inside-payment-service", "ts-food-service", "ts-assurance-service",
                        "ts-consign-service", "ts-travel-plan-service", "ts-route-plan-service", "ts-station-service",
                        "ts-admin-basic-info-service", "ts-admin-order-service", "ts-admin-route-service",
                        "ts-admin-travel-service", "ts-admin-user-service", "ts-news-service",
                        "ts-ticket-office-service", "ts-voucher-service"],
    "ts-auth-service": ["ts-verification-code-service"],
    "ts-user-service": ["ts-auth-service"],
    "ts-admin-user-service": ["ts-user-service"],
    "ts-travel-service": ["ts-ticketinfo-service", "ts-route-service", "ts-train-service", "ts-order-service",
                          "ts-seat-service"],
    "ts-travel2-service": ["ts-ticketinfo-service", "ts-route-service", "ts-train-service",
                           "ts-order-other-service", "ts-seat-service"],
    "ts-ticketinfo-service": ["ts-basic-service"],
    "ts-basic-service": ["ts-station-service", "ts-train-service", "ts-route-service", "ts-price-service"],
    "ts-seat-service": ["ts-order-service", "ts-order-other-service", "ts-config-service"],
    "ts-preserve-service": ["ts-security-service", "ts-contacts-service", "ts-travel-service", "ts-station-service",
                            "ts-seat-service", "ts-order-service", "ts-assurance-service", "ts-food-service",
                            "ts-consign-service", "ts-user-service", "ts-notification-service",
                            "ts-ticketinfo-service"],
    "ts-preserve-other-service": ["ts-security-service", "ts-contacts-service", "ts-travel2-service",
                                  "ts-station-service", "ts-seat-service", "ts-order-other-service",
                                  "ts-assurance-service", "ts-food-service", "ts-consign-service", "ts-user-service",
                                  "ts-notification-service", "ts-ticketinfo-service"],
    "ts-security-service": ["ts-order-service", "ts-order-other-service"],
    "ts-order-service": ["ts-station-service"],
    "ts-order-other-service": ["ts-station-service"],
    "ts-cancel-service": ["ts-order-service", "ts-order-other-service", "ts-inside-payment-service",
                          "ts-user-service", "ts-notification-service"],
    "ts-rebook-service": ["ts-order-service", "ts-order-other-service", "ts-travel-service", "ts-travel2-service",
                          "ts-station-service", "ts-seat-service", "ts-inside-payment-service", "ts-train-service",
                          "ts-route-service"],
    "ts-execute-service": ["ts-order-service", "ts-order-other-service"],
    "ts-inside-payment-service": ["ts-payment-service", "ts-order-service", "ts-order-other-service"],
    "ts-travel-plan-service": ["ts-route-plan-service", "ts-travel-service", "ts-travel2-service",
                               "ts-ticketinfo-service", "ts-seat-service", "ts-station-service", "ts-train-service"],
    "ts-route-plan-service": ["ts-route-service", "ts-travel-service", "ts-travel2-service", "ts-station-service"],
    "ts-food-service": ["ts-food-map-service", "ts-travel-service", "ts-station-service"],
    "ts-consign-service": ["ts-consign-price-service"],
    "ts-admin-basic-info-service": ["ts-station-service", "ts-train-service", "ts-config-service",
                                    "ts-price-service", "ts-contacts-service"],
    "ts-admin-order-service": ["ts-order-service", "ts-order-other-service"],
    "ts-admin-route-service": ["ts-route-service"],
    "ts-admin-travel-service": ["ts-travel-service", "ts-travel2-service"],
    "ts-voucher-service": ["ts-order-service", "ts-order-other-service"],
}
TT_LEAVES = ["ts-verification-code-service", "ts-contacts-service", "ts-station-service", "ts-train-service",
             "ts-route-service", "ts-price-service", "ts-config-service", "ts-payment-service",
             "ts-assurance-service", "ts-notification-service", "ts-food-map-service", "ts-consign-price-service",
             "ts-news-service", "ts-ticket-office-service"]
TT_DATA = ["auth", "user", "contacts", "order", "order-other", "config", "station", "train", "travel", "travel2",
           "route", "price", "security", "inside-payment", "payment", "assurance", "food-map", "food",
           "consign-price", "consign", "ticket-office"]


def sys_trainticket(rng, ns, allow_v1=True):
    g = {k: list(v) for k, v in TT.items()}
    for s in TT_LEAVES:
        g.setdefault(s, [])
    v1 = allow_v1 and rng.random() < 0.4  # release 1.0: one MySQL cluster, gateway, rabbitmq for delivery
    extra = {}
    if v1:
        g["ts-gateway-service"] = g.pop("ts-ui-dashboard")
        g["ts-ui-dashboard"] = ["ts-gateway-service"]
        g["ts-delivery-service"] = ["rabbitmq"]
        g["ts-food-service"].append("rabbitmq")
        g["rabbitmq"] = []
        g["tsdb-mysql"] = []
        for d in TT_DATA:
            g["ts-%s-service" % d].append("tsdb-mysql")
        extra["tsdb-mysql"] = ("db", "mysql", 3306, True)
        extra["rabbitmq"] = ("mq", "rabbitmq", 5672, False)
    else:
        for d in TT_DATA:
            g["ts-%s-service" % d].append("ts-%s-mongo" % d)
            g["ts-%s-mongo" % d] = []
            extra["ts-%s-mongo" % d] = ("db", "mongo", 27017, False)
        g["ts-voucher-service"].append("ts-voucher-mysql")
        g["ts-voucher-mysql"] = []
        extra["ts-voucher-mysql"] = ("db", "mysql", 3306, False)
    svcs = []
    for i, (s, deps) in enumerate(g.items()):
        if s in extra:
            kind, lang, port, sts = extra[s]
        else:
            kind, sts = "app", False
            lang = {"ts-ui-dashboard": "nginx", "ts-news-service": "go", "ts-ticket-office-service": "node",
                    "ts-voucher-service": "python"}.get(s, "java")
            port = 8080 if s == "ts-ui-dashboard" else 12000 + (sum(map(ord, s)) * 7) % 900
        svcs.append(dict(name=s, deps=list(dict.fromkeys(deps)), kind=kind, lang=lang, port=port, container=s,
                         ns=ns, podlabel="app", entry=(s == "ts-ui-dashboard"), team="train-ticket", sts=sts))
    soft = {("ts-preserve-service", "ts-notification-service"), ("ts-preserve-other-service", "ts-notification-service"),
            ("ts-cancel-service", "ts-notification-service")}
    return svcs, soft


MQ_CONSUMERS = {"queue-master", "ts-delivery-service"}
SYN_WORDS = ["accounts", "billing", "catalog", "inventory", "ledger", "search", "pricing", "orders", "invoices",
             "shipping", "fulfillment", "returns", "reviews", "ratings", "loyalty", "coupons", "wishlist",
             "profile", "identity", "sessions", "tax", "fraud", "risk", "quotes", "bookings", "availability",
             "media", "thumbnails", "geo", "routing", "dispatch", "tracking", "payouts", "refunds", "wallet",
             "ads", "recs", "feed", "messaging", "chat", "reports", "exports", "audit", "consent", "kyc",
             "subscriptions", "plans", "metering", "usage", "quota", "ranking", "indexer", "crawler", "sitemap"]
SYN_SHARED = ["auth", "config", "feature-flags", "notification", "rate-limiter", "id-generator"]
SYN_DATA = [("postgres", "db", 5432), ("redis", "cache", 6379), ("mysql", "db", 3306), ("mongo", "db", 27017),
            ("kafka", "mq", 9092), ("elasticsearch", "db", 9200), ("memcached", "cache", 11211)]


def sys_synthetic(rng, ns):
    n_dom = rng.randint(10, 45)
    suffix = rng.choice(["", "-svc", "-service", "-api"])
    teams = rng.sample(["payments", "catalog", "growth", "core", "logistics", "identity", "search"], rng.randint(2, 5))
    words = rng.sample(SYN_WORDS, n_dom)
    dom = [w + suffix for w in words]
    shared = [w + suffix for w in rng.sample(SYN_SHARED, rng.randint(2, 5))]
    edge = rng.choice(["api-gateway", "edge-proxy", "ingress-gateway"])
    bffs = rng.sample(["web-bff", "mobile-bff", "partner-api", "admin-api"], rng.randint(1, 3))
    g, kinds, team_of = {edge: list(bffs)}, {}, {}
    for b in bffs:
        g[b] = rng.sample(dom, min(len(dom), rng.randint(2, 7)))
    for i, d in enumerate(dom):
        lower = dom[i + 1:]
        deps = rng.sample(lower, min(len(lower), pick_w(rng, [(0, 3), (1, 4), (2, 3), (3, 1)])))
        deps += rng.sample(shared, pick_w(rng, [(0, 4), (1, 4), (2, 1)]))
        if rng.random() < 0.55:
            tech, kind, port = rng.choice(SYN_DATA)
            store = "%s-%s" % (words[i], tech)
            g[store] = []
            kinds[store] = (kind, tech, port)
            deps.append(store)
        g[d] = deps
        team_of[d] = rng.choice(teams)
    for s in shared:
        g[s] = []
        team_of[s] = "platform"
        if rng.random() < 0.5:
            store = s.replace(suffix, "") + "-redis" if suffix else s + "-redis"
            g[store] = []
            kinds[store] = ("cache", "redis", 6379)
            g[s].append(store)
    multi_ns = rng.random() < 0.5
    podlabel = rng.choice(["app_kubernetes_io_name", "app"])
    svcs = []
    for s, deps in g.items():
        kind, lang, port = kinds.get(s, ("app", rng.choice(["go", "java", "python", "node"]), 8080))
        owner = team_of.get(s) or next((team_of[o] for o, d in g.items() if s in d and o in team_of), "platform")
        svcs.append(dict(name=s, deps=list(dict.fromkeys(deps)), kind=kind, lang=lang, port=port,
                         container=s if rng.random() < 0.8 else "app", ns=(owner if multi_ns else ns),
                         podlabel=podlabel, entry=(s == edge),
                         team=owner, sts=(kind != "app" and rng.random() < 0.6)))
    return svcs, set()


def build_system(system, rng):
    if system == "boutique":
        return sys_boutique(rng, rng.choice(["default", "boutique", "online-boutique", "hipster-shop"]))
    if system == "sockshop":
        return sys_sockshop(rng, "sock-shop")
    if system == "trainticket":
        return sys_trainticket(rng, rng.choice(["default", "train-ticket", "ts"]))
    if system == "synthetic":
        return sys_synthetic(rng, rng.choice(["prod", "apps", "default"]))
    a, sa = sys_boutique(rng, "boutique")
    b, sb = sys_sockshop(rng, "sock-shop")
    c, sc = sys_trainticket(rng, "train-ticket", allow_v1=False)  # 1.0's rabbitmq would clash with Sock Shop's
    return a + b + c, sa | sb | sc


# ----------------------------------------------------------------------------------------------
# Cluster: nodes, pods over time

def rand_str(rng, n, alph=ALPH):
    return "".join(rng.choice(alph) for _ in range(n))


def uid(rng):
    h = "%032x" % rng.getrandbits(128)
    return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], h[16:20], h[20:])


class Pod:
    def __init__(self, name, svc, node, ip, born, died, uid_):
        self.name, self.svc, self.node, self.ip, self.born, self.died, self.uid = name, svc, node, ip, born, died, uid_


class Cluster:
    def __init__(self, rng, svcs, n_nodes, t0, t1):
        self.rng = rng
        style = rng.choice(["eks", "gke", "aks", "kubeadm", "kubeadm2"])
        self.nodes, self.node_ip = [], {}
        region = rng.choice(["eu-west-1", "us-east-2", "ap-southeast-1"])
        gk = rand_str(rng, 8, "0123456789abcdef")
        ak = "".join(rng.choice("0123456789") for _ in range(8))
        for i in range(n_nodes):
            a, b = rng.randint(0, 63), rng.randint(2, 250)
            ip = "10.0.%d.%d" % (a, b)
            name = {"eks": "ip-10-0-%d-%d.%s.compute.internal" % (a, b, region),
                    "gke": "gke-prod-default-pool-%s-%s" % (gk, rand_str(rng, 4, "abcdefghijklmnopqrstuvwxyz0123456789")),
                    "aks": "aks-nodepool1-%s-vmss%06d" % (ak, i),
                    "kubeadm": "worker-%d" % (i + 1),
                    "kubeadm2": "k8s-node%02d" % (i + 1)}[style]
            self.nodes.append(name)
            self.node_ip[name] = ip
        self.svcs = {s["name"]: s for s in svcs}
        self.pods = {}
        self.rs = {}
        self.t0, self.t1 = t0, t1
        self.ips = set()
        for s in svcs:
            n = 1 if s["kind"] != "app" else pick_w(rng, [(1, 45), (2, 35), (3, 20)])
            s["replicas"] = n
            self.rs[s["name"]] = rand_str(rng, rng.choice([9, 10]))
            self.pods[s["name"]] = []
            nodes = rng.sample(self.nodes, min(n, len(self.nodes))) if n <= len(self.nodes) else \
                [rng.choice(self.nodes) for _ in range(n)]
            for i in range(n):
                self._new_pod(s["name"], nodes[i % len(nodes)], t0 - 86_400_000, i)
        self.ksm_node = rng.choice(self.nodes)
        self.ksm_ip = self._ip()
        self.ksm_pod = "kube-state-metrics-%s-%s" % (rand_str(rng, 10), rand_str(rng, 5))
        self.ne_pod = {n: "node-exporter-%s" % rand_str(rng, 5) for n in self.nodes}
        self.otel_ip = self._ip()

    def _ip(self):
        while True:
            ip = "10.244.%d.%d" % (self.rng.randint(0, 15), self.rng.randint(2, 254))
            if ip not in self.ips:
                self.ips.add(ip)
                return ip

    def _new_pod(self, svc, node, born, idx=None):
        s = self.svcs[svc]
        if s.get("sts"):
            if idx is None:  # a statefulset pod comes back with its own name
                idx = 0
            name = "%s-%d" % (svc, idx)
        else:
            name = "%s-%s-%s" % (svc, self.rs[svc], rand_str(self.rng, 5))
        p = Pod(name, svc, node, self._ip(), born, 1 << 62, uid(self.rng))
        self.pods[svc].append(p)
        return p

    def pods_at(self, svc, t):
        return [p for p in self.pods[svc] if p.born <= t < p.died]

    def replace(self, pod, t, node=None, delay=None):
        pod.died = t
        d = delay if delay is not None else self.rng.randint(2, 15) * SEC
        idx = int(pod.name.rsplit("-", 1)[1]) if self.svcs[pod.svc].get("sts") else None
        return self._new_pod(pod.svc, node or pod.node, t + d, idx)

    def rollout(self, svc, t):
        """New ReplicaSet: pods replaced one by one."""
        if not self.svcs[svc].get("sts"):
            self.rs[svc] = rand_str(self.rng, self.rng.choice([9, 10]))
        new = []
        for i, p in enumerate(self.pods_at(svc, t)):
            tt = t + i * self.rng.randint(15, 45) * SEC
            new.append(self.replace(p, tt + 20 * SEC, node=self.rng.choice(self.nodes), delay=-20 * SEC))
        return new

    def pods_on(self, node, t):
        return [p for ps in self.pods.values() for p in ps if p.node == node and p.born <= t < p.died]


# ----------------------------------------------------------------------------------------------
# Monitoring habits of one storm

STACK_PRIORS = {
    "boutique": [("istio", 45), ("operator", 20), ("otel", 20), ("linkerd", 15), ("annotations", 10)],
    "sockshop": [("operator", 35), ("annotations", 30), ("istio", 20), ("linkerd", 10), ("otel", 5)],
    "trainticket": [("istio", 35), ("operator", 30), ("otel", 20), ("annotations", 15)],
    "synthetic": [("istio", 25), ("operator", 30), ("otel", 15), ("linkerd", 10), ("annotations", 20)],
    "mixed": [("istio", 30), ("operator", 35), ("otel", 15), ("annotations", 20)],
}


class Rule:
    def __init__(self, fam, alertname, severity, for_s, thr, sigma=0.0, window=60, base=0.0, cap=1e9,
                 unit="", summary="", group=0):
        self.fam, self.alertname, self.severity, self.for_ms = fam, alertname, severity, int(for_s * SEC)
        self.thr, self.sigma, self.window_ms, self.base, self.cap = thr, sigma, int(window * SEC), base, cap
        self.unit, self.summary, self.group = unit, summary, group


class Env:
    def __init__(self, rng, system, cluster_name):
        self.rng = rng
        self.stack = pick_w(rng, STACK_PRIORS[system])
        self.cluster_label = pick_w(rng, [("cluster", 45), ("cluster_name", 10), (None, 45)])
        self.cluster = cluster_name
        self.prom_label = rng.choice([None, None, "monitoring/k8s", "monitoring/kube-prometheus-stack-prometheus"])
        self.ksm_target_labels = rng.random() < 0.35   # KSM alerts keep service/pod/endpoint/container of KSM
        self.cadvisor_raw = rng.random() < 0.3        # unaggregated cAdvisor rules keep kubelet target labels
        self.node_instance = rng.choice(["nodename", "ip"])
        self.per_pod = rng.random() < 0.35 and self.stack != "otel"
        self.view = "server"
        if self.stack in ("istio", "linkerd"):
            self.view = rng.choice(["server", "edge", "both"])
        self.edge_by_source = rng.random() < 0.5
        self.istio_svcname = rng.random() < 0.3      # rules group by destination_service_name
        self.ann_label = rng.choice(["pod", "svc"])  # annotations scrape: kubernetes-pods or -service-endpoints
        self.ann_ns = rng.choice(["namespace", "kubernetes_namespace"])
        self.loki = rng.random() < 0.35
        self.blackbox = rng.random() < 0.5
        self.sender = pick_w(rng, [("prometheus", 65), ("changes", 35)])
        self.interval = rng.choice([15, 30, 30, 60]) * SEC
        self.resend = 60 * SEC
        self.repeat = rng.choice([4, 5, 10]) * MIN     # "changes" sender: heartbeat of a firing alert
        self.ha = self.sender == "prometheus" and rng.random() < 0.2
        self.kp_defaults = rng.random() < 0.4          # kube-prometheus `for:` values on k8s/node rules
        self.team_label = rng.random() < 0.4
        self.rules = self._rules()

    def _rules(self):
        r = self.rng
        kp = self.kp_defaults
        short = lambda: r.choice([60, 120, 120, 180, 300])
        k8s = lambda long_: long_ if kp else r.choice([60, 120, 180, 300])
        w = lambda: r.choice([60, 120, 300])
        names = {
            "lat": r.choice(["HighLatency", "ServiceLatencyHigh", "HighRequestLatency", "LatencyP99High",
                             "IstioLatency99Percentile" if self.stack == "istio" else "APIHighLatency"]),
            "err": r.choice(["HighErrorRate", "ServiceErrorRateHigh", "High5xxRate", "ErrorBudgetBurn",
                             "IstioHigh5xxErrorRate" if self.stack == "istio" else "HTTPErrorsHigh"]),
        }
        R = {}
        lat_thr = r.uniform(1.6, 3.0)
        R["lat"] = Rule("lat", names["lat"], r.choice(["warning", "critical"]), short(), lat_thr, 0.13, w(), 1.0,
                        unit="s", summary="p99 latency of {s} is {v}")
        R["err"] = Rule("err", names["err"], "critical", short(), r.choice([0.01, 0.02, 0.05, 0.05, 0.1]), 0.35,
                        w(), r.uniform(0.001, 0.004), cap=1.0, unit="ratio", summary="5xx ratio of {s} is {v}")
        if self.loki:
            R["log"] = Rule("log", r.choice(["HighErrorLogRate", "ErrorLogsSpike", "AppErrorLogs"]), "warning",
                            r.choice([0, 60, 120]), r.choice([5, 10, 20]), 0.3, 300, r.uniform(0.05, 1.0),
                            unit="lines/s", summary="{s}: {v} error log lines/s")
        R["cpu"] = Rule("cpu", r.choice(["ContainerHighCpuUtilization", "ContainerCpuUsageHigh", "PodHighCPU"]),
                        "warning", r.choice([120, 300]), r.choice([0.8, 0.85, 0.9]), 0.06, w(), 0.25, 3.0,
                        unit="cores/limit", summary="CPU of {s} at {v} of its limit")
        if r.random() < 0.6:
            R["throttle"] = Rule("throttle", "CPUThrottlingHigh", "info", 900 if kp else r.choice([300, 600]), 0.25,
                                 0.1, 300, 0.02, 1.0, unit="ratio", summary="{v} throttling of CPU in {s}")
        R["mem"] = Rule("mem", r.choice(["ContainerHighMemoryUsage", "ContainerMemoryNearLimit", "PodMemoryHigh"]),
                        "warning", r.choice([60, 120, 300]), r.choice([0.8, 0.85, 0.9]), 0.02, 60, 0.35, 2.0,
                        unit="ratio", summary="memory of {s} at {v} of its limit")
        R["oom"] = Rule("oom", r.choice(["KubeContainerOOMKilled", "ContainerOOMKilled"]), "warning", 0, 0.5,
                        window=600, summary="{s} was OOMKilled")
        if r.random() < 0.5:
            R["fsio"] = Rule("fsio", "ContainerHighFsWrites", "warning", 120, 0.7, 0.1, 120, 0.05, 1.5,
                             summary="{s} writes {v} of its disk budget")
        R["crash"] = Rule("crash", "KubePodCrashLooping", "warning", k8s(900), 0.5, summary="{s} is crash looping")
        R["notready"] = Rule("notready", "KubePodNotReady" if kp or r.random() < 0.5 else "PodNotReady", "warning",
                             k8s(900), 0.5, summary="pod {s} has been in a non-ready state")
        R["waiting"] = Rule("waiting", "KubeContainerWaiting", "warning", 3600 if kp else r.choice([120, 300]), 0.5,
                            summary="container in {s} is waiting")
        R["mismatch"] = Rule("mismatch", "KubeDeploymentReplicasMismatch", "warning", k8s(900), 0.5,
                             summary="deployment {s} has not matched the expected number of replicas")
        R["stsmismatch"] = Rule("stsmismatch", "KubeStatefulSetReplicasMismatch", "warning", k8s(900), 0.5,
                                summary="statefulset {s} has not matched the expected number of replicas")
        R["rollout"] = Rule("rollout", "KubeDeploymentRolloutStuck", "warning", k8s(900), 0.5,
                            summary="rollout of deployment {s} is not progressing")
        R["targetdown"] = Rule("targetdown", "TargetDown", "warning", 600 if kp else r.choice([60, 120, 300]), 0.1,
                               unit="%", summary="{v} of the {s} targets are down")
        R["nodenotready"] = Rule("nodenotready", "KubeNodeNotReady", "warning", k8s(900), 0.5,
                                 summary="{s} has been unready")
        R["unreachable"] = Rule("unreachable", "KubeNodeUnreachable", "warning", k8s(900), 0.5,
                                summary="{s} is unreachable")
        R["nodedown"] = Rule("nodedown", r.choice(["NodeDown", "HostDown", "NodeExporterDown"]), "critical",
                             r.choice([60, 120, 300]), 0.5, summary="{s} is down")
        R["pressure"] = Rule("pressure", "KubeNodePressure", "info", 600 if kp else 120, 0.5,
                             summary="{s} has active DiskPressure")
        R["fsfill"] = Rule("fsfill", "NodeFilesystemSpaceFillingUp", "warning", 3600 if kp else r.choice([300, 600]),
                           0.5, 0.02, 300, 0.0, summary="filesystem on {s} is predicted to run out of space")
        R["fsfull"] = Rule("fsfull", "NodeFilesystemAlmostOutOfSpace", "critical", 1800 if kp else r.choice([60, 300]),
                           0.9, 0.01, 60, 0.55, 1.0, unit="ratio", summary="filesystem on {s} is {v} full")
        R["diskio"] = Rule("diskio", r.choice(["NodeDiskIOSaturation", "HostUnusualDiskIoTime"]), "warning",
                           r.choice([300, 600, 1800]) if kp else r.choice([60, 120, 300]), 0.8, 0.08, 300, 0.1, 1.0,
                           unit="ratio", summary="disk IO on {s} is saturated ({v})")
        R["nodecpu"] = Rule("nodecpu", r.choice(["NodeHighCpuLoad", "HostHighCpuLoad", "NodeCPUHighUsage"]), "warning",
                            r.choice([120, 300, 900]), 0.85, 0.05, 300, 0.35, 1.0, unit="ratio",
                            summary="CPU load on {s} is {v}")
        R["dbdown"] = Rule("dbdown", "{db}Down", "critical", r.choice([0, 60]), 0.5, summary="{s} is down")
        R["dbconn"] = Rule("dbconn", "{db}TooManyConnections", "warning", r.choice([60, 120]), 0.8, 0.05, 60, 0.2, 1.5,
                           unit="ratio", summary="{s} uses {v} of its max connections")
        R["mqbacklog"] = Rule("mqbacklog", r.choice(["RabbitmqTooManyReadyMessages", "RabbitmqQueueBacklog"]), "warning",
                              r.choice([60, 120, 300]), 1000, 0.1, 60, 5.0, unit="msgs", summary="queue of {s}: {v} ready")
        R["fds"] = Rule("fds", r.choice(["ProcessFdsNearLimit", "FdExhaustionClose"]), "warning", r.choice([60, 300]),
                        0.8, 0.03, 60, 0.05, 1.0, unit="ratio", summary="{s} uses {v} of its file descriptors")
        if self.blackbox:
            R["probe"] = Rule("probe", r.choice(["BlackboxProbeFailed", "ProbeFailed", "EndpointDown"]), "critical",
                              r.choice([0, 60, 120]), 0.5, summary="probe of {s} failed")
            R["probeslow"] = Rule("probeslow", r.choice(["BlackboxSlowProbe", "BlackboxProbeHttpSlow"]), "warning",
                                  r.choice([60, 120]), lat_thr, 0.15, 60, 1.0, summary="probe of {s} took {v}")
        # noise rules
        R["watchdog"] = Rule("watchdog", "Watchdog", "none", 0, 0.5, summary="an alert that should always be firing")
        R["jobfailed"] = Rule("jobfailed", "KubeJobFailed", "warning", 900 if kp else r.choice([0, 60]), 0.5,
                              summary="job {s} failed to complete")
        R["hpa"] = Rule("hpa", "KubeHpaMaxedOut", "warning", 900 if kp else r.choice([300, 600]), 0.5,
                        summary="HPA {s} has been running at max replicas")
        R["cert"] = Rule("cert", r.choice(["CertManagerCertExpirySoon", "SSLCertExpiringSoon"]), "warning", 3600, 0.5,
                         summary="certificate {s} expires in less than 21 days")
        R["clock"] = Rule("clock", "NodeClockNotSynchronising", "warning", 600 if kp else 120, 0.5,
                          summary="clock on {s} is not synchronising")
        R["overcommit"] = Rule("overcommit", r.choice(["KubeCPUOvercommit", "KubeMemoryOvercommit"]), "warning", 600,
                               0.5, summary="cluster has overcommitted resource requests")
        R["pvc"] = Rule("pvc", "KubePersistentVolumeFillingUp", "warning", 3600 if kp else 300, 0.5,
                        summary="PVC {s} is filling up")
        R["conntrack"] = Rule("conntrack", "NodeHighNumberConntrackEntriesUsed", "warning", 0, 0.75, 0.04, 60, 0.5,
                              summary="{s}: {v} of conntrack entries are used")
        # rule groups evaluate at their own phase
        groups = {}
        for k, rule in R.items():
            rule.group = groups.setdefault(k, self.rng.randint(0, self.interval - 1))
        return R

    # --- label sets -------------------------------------------------------------------------
    def common(self):
        d = {}
        if self.cluster_label:
            d[self.cluster_label] = self.cluster
        if self.prom_label:
            d["prometheus"] = self.prom_label
        return d

    def svc_labels(self, s, pod=None):
        """Labels an app-level (server-side) rule keeps for service s (dict), pod optional."""
        n, ns = s["name"], s["ns"]
        st = self.stack
        if st == "istio":
            if self.istio_svcname:
                d = {"destination_service_name": n, "destination_service_namespace": ns}
            else:
                d = {"destination_workload": n, "destination_workload_namespace": ns}
            d["reporter"] = "destination"
            if pod:
                d["pod"], d["namespace"] = pod.name, ns
            return d
        if st == "linkerd":
            d = {"deployment": n, "namespace": ns, "direction": "inbound"}
            if pod:
                d["pod"] = pod.name
            return d
        if st == "otel":
            return {"service_name": n, "job": "otel-collector", "instance": "%s:8889" % self.cluster_otel_ip,
                    "span_kind": "SPAN_KIND_SERVER"}
        if st == "operator":
            d = {"service": n, "job": n, "namespace": ns}
            if pod:
                d.update(pod=pod.name, instance="%s:%d" % (pod.ip, s["port"]), container=s["container"],
                         endpoint=self.rng_endpoint)
            return d
        # annotations-based scraping (community chart)
        if self.ann_label == "svc":
            d = {"kubernetes_name": n, self.ann_ns: ns, "job": "kubernetes-service-endpoints"}
        else:
            d = {s["podlabel"]: n, self.ann_ns: ns, "job": "kubernetes-pods"}
        if pod:
            d["kubernetes_pod_name" if self.ann_ns == "kubernetes_namespace" else "pod"] = pod.name
            d["instance"] = "%s:%d" % (pod.ip, s["port"])
        return d

    def edge_labels(self, c, x):
        """Client-side labels for calls from c to x (mesh only)."""
        if self.stack == "istio":
            d = {"destination_workload": x["name"], "destination_workload_namespace": x["ns"], "reporter": "source"}
            if self.edge_by_source:
                d.update(source_workload=c["name"], source_workload_namespace=c["ns"])
            return d
        d = {"dst_deployment": x["name"], "dst_namespace": x["ns"], "direction": "outbound"}
        if self.edge_by_source:
            d.update(deployment=c["name"], namespace=c["ns"])
        return d

    def ksm(self, extra):
        d = {"job": "kube-state-metrics", "instance": "%s:8080" % self.cluster_ksm_ip}
        if self.ksm_target_labels:
            d.update(service=self.ksm_service, endpoint="http")
            if "pod" not in extra:
                d["pod"] = self.cluster_ksm_pod
            if "namespace" not in extra:
                d["namespace"] = "monitoring"
            if "container" not in extra:
                d["container"] = "kube-state-metrics"
        d.update(extra)
        return d

    def cadvisor(self, s, pod, node_ip):
        d = {"namespace": s["ns"], "pod": pod.name, "container": s["container"]}
        if self.cadvisor_raw:
            d.update(instance="%s:10250" % node_ip, job="kubelet", metrics_path="/metrics/cadvisor", node=pod.node,
                     service="kubelet", endpoint="https-metrics",
                     image="%s:%s" % (s["name"], s.get("version", "v1.0.0")))
        elif self.rng_cadv_node:
            d["node"] = pod.node
        return d

    def node_exporter(self, node, node_ip, extra=None):
        d = {"job": "node-exporter"}
        if self.node_instance == "nodename":
            d["instance"] = node
        else:
            d.update(instance="%s:9100" % node_ip, node=node)
        if self.ksm_target_labels:  # same operator habits for all ServiceMonitors
            d.update(namespace="monitoring", pod=self.cluster_ne_pod[node], service="node-exporter",
                     container="node-exporter", endpoint="https")
        d.update(extra or {})
        return d


# ----------------------------------------------------------------------------------------------
# Series, episodes and the Prometheus alert state machine

class Episode:
    __slots__ = ("t_on", "t_off", "peak", "ramp", "decay", "inc", "shape")

    def __init__(self, t_on, t_off, peak, ramp, decay, inc, shape="step"):
        self.t_on, self.t_off, self.peak, self.ramp, self.decay, self.inc, self.shape = \
            int(t_on), int(t_off), peak, max(0, int(ramp)), max(0, int(decay)), inc, shape

    def at(self, t):
        if t < self.t_on:
            return 0.0
        if self.shape == "leak":  # linear growth to peak at t_off
            if t <= self.t_off:
                return self.peak * (t - self.t_on) / max(1, self.t_off - self.t_on)
        elif t <= self.t_off:
            if self.ramp and t < self.t_on + self.ramp:
                return self.peak * (t - self.t_on) / self.ramp
            return self.peak
        if self.decay and t < self.t_off + self.decay:
            return self.peak * (1 - (t - self.t_off) / self.decay)
        return 0.0

    def end(self):
        return self.t_off + self.decay


class Series:
    def __init__(self, rule, labels, subject, text):
        self.rule, self.labels, self.subject, self.text = rule, labels, subject, text
        self.eps = []


class Storm:
    def __init__(self, args):
        self.seed, self.system = args.seed, args.system
        self.rng = sub_rng("fi", args.system, args.seed)
        rng = self.rng
        self.svcs, self.soft = build_system(args.system, rng)
        self.by = {s["name"]: s for s in self.svcs}
        for s in self.svcs:
            s["version"] = "v%d.%d.%d" % (rng.randint(0, 3), rng.randint(0, 30), rng.randint(0, 9))
        self.callers = {s["name"]: [] for s in self.svcs}
        for s in self.svcs:
            for d in s["deps"]:
                self.callers[d].append(s["name"])
        day = rng.randint(0, 400)
        self.t0 = 1_735_689_600_000 + day * 86_400_000 + rng.randint(0, 23) * 3_600_000 + rng.randint(0, 3599) * SEC
        self.t1 = self.t0 + rng.randint(180, 330) * MIN
        n_nodes = {"boutique": (3, 6), "sockshop": (3, 6), "trainticket": (5, 12), "synthetic": (4, 16),
                   "mixed": (8, 16)}[args.system]
        self.cl = Cluster(rng, self.svcs, rng.randint(*n_nodes), self.t0, self.t1)
        cname = rng.choice(["prod", "prod-eu-west-1", "k8s-prod-01", "gke-prod", "aks-prod-weu", "kind-chaos"])
        self.env = Env(rng, args.system, cname)
        e = self.env
        e.cluster_ksm_ip, e.cluster_ksm_pod, e.cluster_otel_ip = self.cl.ksm_ip, self.cl.ksm_pod, self.cl.otel_ip
        e.cluster_ne_pod = self.cl.ne_pod
        e.ksm_service = rng.choice(["kube-state-metrics", "prometheus-kube-state-metrics"])
        e.rng_endpoint = rng.choice(["http", "metrics", "http-metrics"])
        e.rng_cadv_node = rng.random() < 0.3
        e.rng_loki_job = rng.random() < 0.5
        # per-edge criticality: how much of the callee's trouble the caller passes on. A router (entry
        # point, gateway, many callees) sends each request to one callee: its error ratio is diluted by
        # that callee's share of its traffic, while its p99 moves as soon as that share passes ~1%.
        self.crit = {}
        for s in self.svcs:
            deps = s["deps"]
            router = s.get("entry") or len(deps) >= 6 or s["kind"] == "load"
            w = [rng.uniform(0.1, 1.0) ** 2 for _ in deps]
            for d, wi in zip(deps, w):
                share = wi / sum(w) if router else rng.uniform(0.4, 1.0)
                soft = (s["name"], d) in self.soft
                c_err = (rng.uniform(0.0, 0.1) if soft else rng.uniform(0.3, 1.0)) * share
                c_lat = rng.uniform(0.3, 1.0) * (1.0 if share > 0.02 else share / 0.02)
                self.crit[(s["name"], d)] = (c_lat, c_err)
        self.base_p99 = {}
        for s in self.svcs:
            self._base(s["name"], set())
        self.series = {}
        self.changes = []   # (ts, labels, annotations, incident or None, root)
        self.cases = []
        self.noise_n = 0

    def _base(self, svc, stack):
        if svc in self.base_p99:
            return self.base_p99[svc]
        if svc in stack:
            return 0.0
        stack.add(svc)
        own = self.rng.uniform(0.003, 0.06)
        down = max([self._base(d, stack) * self.rng.uniform(0.4, 1.0) for d in self.by[svc]["deps"]] or [0.0])
        self.base_p99[svc] = own + down
        return own + down

    # --- series helpers ----------------------------------------------------------------------
    def ser(self, fam, key, labels_fn, subject, text):
        rule = self.env.rules.get(fam)
        if rule is None:
            return None
        k = (fam,) + tuple(key)
        s = self.series.get(k)
        if s is None:
            labels = labels_fn()
            s = Series(rule, labels, subject, text)
            self.series[k] = s
        return s

    def ep(self, series, t_on, t_off, peak, inc, ramp=None, decay=None, shape="step"):
        if series is None or peak <= 0:
            return
        w = series.rule.window_ms
        if ramp is None:
            ramp = w * self.rng.uniform(0.15, 0.6)
        if decay is None:
            decay = w * self.rng.uniform(0.4, 1.0)
        series.eps.append(Episode(t_on, t_off, peak, ramp, decay, inc, shape))

    def s_app(self, fam, svc, pod=None):
        s = self.by[svc]
        key = (svc, pod.name if pod else "")
        return self.ser(fam, key, lambda: self.env.svc_labels(s, pod), svc, pod.name if pod else svc)

    def s_edge(self, fam, c, x):
        e = self.env
        key = (c if e.edge_by_source else "*", x)
        return self.ser(fam, ("edge",) + key,
                        lambda: e.edge_labels(self.by[c], self.by[x]), x, "%s->%s" % (c, x) if e.edge_by_source else x)

    def s_pod(self, fam, pod):
        s = self.by[pod.svc]
        if fam in ("cpu", "mem", "throttle", "fsio"):
            fn = lambda: self.env.cadvisor(s, pod, self.cl.node_ip[pod.node])
        elif fam in ("crash", "waiting", "oom"):
            fn = lambda: self.env.ksm({"namespace": s["ns"], "pod": pod.name, "container": s["container"],
                                       "uid": pod.uid, **({"reason": "CrashLoopBackOff"} if fam == "crash" else {})})
        elif fam == "notready":
            fn = lambda: ({"namespace": s["ns"], "pod": pod.name} if self.env.kp_defaults else
                          self.env.ksm({"namespace": s["ns"], "pod": pod.name, "uid": pod.uid, "condition": "false"}))
        else:
            raise ValueError(fam)
        return self.ser(fam, (pod.name,), fn, pod.svc, pod.name)

    def s_workload(self, fam, svc):
        s = self.by[svc]
        kindlabel = "statefulset" if s.get("sts") else "deployment"
        if fam == "mismatch" and s.get("sts"):
            fam = "stsmismatch"
        return self.ser(fam, (svc,), lambda: self.env.ksm({"namespace": s["ns"], kindlabel: svc}), svc, svc)

    def s_target(self, svc):
        s = self.by[svc]
        e = self.env
        if e.stack == "otel":  # pushed metrics: no scrape target per service
            return None

        def fn():
            if e.stack == "annotations":
                return {"job": "kubernetes-pods" if e.ann_label == "pod" else "kubernetes-service-endpoints",
                        e.ann_ns: s["ns"], s["podlabel"] if e.ann_label == "pod" else "kubernetes_name": svc}
            return {"job": svc, "namespace": s["ns"], "service": svc}
        return self.ser("targetdown", (svc,), fn, svc, svc)

    def s_node(self, fam, node, extra=None):
        e = self.env
        ip = self.cl.node_ip[node]
        if fam in ("nodenotready", "unreachable", "pressure"):
            cond = {"nodenotready": {"condition": "Ready", "status": "true"},
                    "unreachable": {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
                    "pressure": {"condition": "DiskPressure", "status": "true"}}[fam]
            fn = lambda: e.ksm(dict(node=node, **cond))
        else:
            fn = lambda: e.node_exporter(node, ip, extra)
        key = (node,) + tuple(sorted((extra or {}).items()))
        return self.ser(fam, key, fn, "node:" + node, node)

    def s_db(self, fam, svc):
        s = self.by[svc]
        tech = s["lang"]
        name = {"mysql": "Mysql", "mongo": "Mongodb", "redis": "Redis", "rabbitmq": "Rabbitmq",
                "postgres": "Postgresql", "elasticsearch": "Elasticsearch", "kafka": "Kafka",
                "memcached": "Memcached"}.get(tech)
        if name is None:
            return None
        pod = (self.cl.pods_at(svc, self.t0) or self.cl.pods[svc])[0]
        exp_port = {"mysql": 9104, "mongo": 9216, "redis": 9121, "rabbitmq": 15692, "postgres": 9187,
                    "elasticsearch": 9114, "kafka": 9308, "memcached": 9150}[tech]
        k = (fam, svc)
        if k not in self.series:
            base = self.env.rules[fam]
            rule = Rule(fam, base.alertname.replace("{db}", name), base.severity, base.for_ms / SEC, base.thr,
                        base.sigma, base.window_ms / SEC, base.base, base.cap, base.unit, base.summary, base.group)
            lab = {"instance": "%s:%d" % (pod.ip, exp_port), "job": "%s-exporter" % tech, "namespace": s["ns"]}
            if self.env.ksm_target_labels or self.env.stack == "operator":
                lab["service"] = "%s-metrics" % svc
            if fam == "mqbacklog":
                lab.update(queue=self.rng.choice(["shipping-task", "orders", "delivery"]), vhost="/")
            self.series[k] = Series(rule, lab, svc, svc)
        return self.series[k]

    # --- propagation --------------------------------------------------------------------------
    def propagate(self, root, t_on, t_off, sl, se, cl, ce, inc, kind, pods=None, extra=None):
        """Server latency excess sl / error ratio se at root as seen by its own instrumentation, and
        client-side (callers') view cl / ce. Spreads upstream with lags and per-edge criticality."""
        rng = self.rng
        imp = {root: (sl, se, cl, ce, t_on, 0)}
        frontier = [root]
        while frontier:
            nxt = []
            for x in frontier:
                _, _, xcl, xce, xt, depth = imp[x]
                if depth >= 6:
                    continue
                for c in self.callers[x]:
                    cl_, ce_ = self.crit[(c, x)]
                    timeout = kind in ("delay", "loss") and xcl * self.base_p99[x] > rng.uniform(0.5, 3.0)
                    lat = xcl * cl_ * rng.uniform(0.4, 0.9) * self.base_p99[x] / max(self.base_p99[c], 0.02)
                    lat = min(lat, xcl * 1.2)
                    err = xce * ce_ + (ce_ * rng.uniform(0.2, 0.8) if timeout else 0.0)
                    lag = rng.randint(3, 40) * SEC + (rng.randint(10, 90) * SEC if rng.random() < 0.2 else 0)
                    if lat < 0.15 and err < 0.004:
                        continue
                    old = imp.get(c)
                    if old is None or lat > old[0] * 1.1 or err > old[1] * 1.1:
                        if old:
                            lat, err = max(lat, old[0]), max(err, old[1])
                        imp[c] = (lat, min(err, 1.0), lat, min(err, 1.0), xt + lag, depth + 1)
                        nxt.append(c)
            frontier = nxt
        e = self.env
        dur_jit = lambda: rng.randint(-20, 40) * SEC
        for svc, (a_sl, a_se, a_cl, a_ce, t, depth) in imp.items():
            s = self.by[svc]
            if s["kind"] == "load":
                continue
            off = t_off + dur_jit() + depth * rng.randint(0, 20) * SEC
            on_pods = pods if (svc == root and pods) else None
            if s["kind"] != "app":
                pass  # datastores speak TCP/RESP/Mongo wire: no request latency or 5xx metrics
            elif e.view in ("server", "both"):
                self._server(svc, t, off, a_sl, a_se, inc, on_pods)
            if s["kind"] == "app" and e.view in ("edge", "both"):
                for c in self.callers[svc]:
                    if self.by[c]["kind"] == "load" and e.stack == "linkerd":
                        continue
                    jit = rng.uniform(0.7, 1.2)
                    self.ep(self.s_edge("lat", c, svc), t, off, a_cl * jit, inc)
                    self.ep(self.s_edge("err", c, svc), t, off, a_ce * jit, inc)
            if e.loki and s["kind"] == "app" and a_se > 0.01:
                self.ep(self.ser("log", (svc,), lambda s=s: self._log_labels(s), svc, svc), t, off,
                        a_se * rng.uniform(30, 400), inc)
            if s.get("entry") and e.blackbox:
                self._probe(svc, t, off, a_cl, a_ce, inc)
        return imp

    def _server(self, svc, t, off, sl, se, inc, pods=None):
        s = self.by[svc]
        e = self.env
        if e.per_pod:
            allp = self.cl.pods_at(svc, t)
            for p in allp:
                f = 1.0 if (pods is None or p in pods) else 0.05
                jit = self.rng.uniform(0.75, 1.25) * f
                self.ep(self.s_app("lat", svc, p), t, off, sl * jit, inc)
                self.ep(self.s_app("err", svc, p), t, off, se * jit, inc)
        else:
            share = 1.0
            if pods is not None:
                share = len(pods) / max(1, len(self.cl.pods_at(svc, t)))
            self.ep(self.s_app("lat", svc), t, off, sl * share, inc)
            self.ep(self.s_app("err", svc), t, off, se * share, inc)

    def _log_labels(self, s):
        d = {"namespace": s["ns"], s["podlabel"]: s["name"]}
        if self.env.rng_loki_job:
            d["job"] = "%s/%s" % (s["ns"], s["name"])
        return d

    def _probe(self, svc, t, off, cl, ce, inc):
        s = self.by[svc]
        if "probe_url" not in s:
            s["probe_url"] = self.rng.choice(["https://shop.example.com/", "http://%s.%s.svc.cluster.local:%d/" %
                                              (svc, s["ns"], s["port"]), "https://%s.example.org/healthz" % svc])
        lab = lambda: {"instance": s["probe_url"], "job": "blackbox", "module": "http_2xx"}
        if ce > 0.3:
            self.ep(self.ser("probe", (svc,), lab, svc, s["probe_url"]), t, off, 1.0, inc, 0, 0)
        self.ep(self.ser("probeslow", (svc,), lab, svc, s["probe_url"]), t, off, cl, inc)

    # --- faults ---------------------------------------------------------------------------------
    def target_pods(self, svc, t):
        ps = self.cl.pods_at(svc, t)
        if not ps:
            return []
        if len(ps) == 1 or self.rng.random() < 0.5:
            return [self.rng.choice(ps)]
        return ps

    def fault(self, inc, kind, root, t0, dur):
        rng, cl = self.rng, self.cl
        t1 = t0 + dur
        s = self.by.get(root)
        resp = lambda: rng.randint(2, 12) * SEC
        if root in MQ_CONSUMERS and kind not in ("delay",):  # messages pile up on the broker
            for d in s["deps"]:
                if self.by[d]["kind"] == "mq":
                    self.ep(self.s_db("mqbacklog", d), t0 + rng.randint(30, 120) * SEC, t1 + rng.randint(60, 300) * SEC,
                            rng.uniform(500, 5000), inc, ramp=dur // 2, decay=rng.randint(60, 240) * SEC)
        if kind == "cpu":
            pods = self.target_pods(root, t0)
            for p in pods:
                lvl = rng.uniform(0.9, 1.6)
                self.ep(self.s_pod("cpu", p), t0 + resp(), t1, lvl - 0.25, inc)
                self.ep(self.s_pod("throttle", p), t0 + resp(), t1, rng.uniform(0.2, 0.8), inc)
                if rng.random() < 0.3:
                    self.ep(self.s_node("nodecpu", p.node), t0 + resp(), t1, rng.uniform(0.4, 0.65), inc)
            sens = rng.uniform(0.2, 3.5)
            self.propagate(root, t0 + resp(), t1, sens, rng.uniform(0, 0.02), sens, rng.uniform(0, 0.03), inc,
                           kind, pods)
        elif kind == "mem":
            pods = self.target_pods(root, t0)
            leak = rng.random() < 0.6
            for p in pods:
                peak = rng.uniform(0.55, 0.95)
                self.ep(self.s_pod("mem", p), t0 + resp(), t1, peak, inc, ramp=rng.randint(10, 60) * SEC,
                        decay=rng.randint(5, 30) * SEC, shape="leak" if leak else "step")
                if peak > 0.72 and rng.random() < 0.5:  # over the limit: OOMKilled, restarts
                    t_oom = t0 + int(dur * (0.5 + rng.random() * 0.4)) if leak else t0 + rng.randint(20, 90) * SEC
                    self.ep(self.s_pod("oom", p), t_oom, t_oom + 600 * SEC, 1.0, inc, 0, 0)
                    if rng.random() < 0.5:
                        self.ep(self.s_pod("crash", p), t_oom + 60 * SEC, t1 + rng.randint(60, 240) * SEC, 1.0,
                                inc, 0, 0)
                        self.ep(self.s_pod("waiting", p), t_oom + 60 * SEC, t1, 1.0, inc, 0, 0)
                    if len(cl.pods_at(root, t0)) == 1:
                        self.ep(self.s_pod("notready", p), t_oom, t_oom + rng.randint(20, 120) * SEC, 1.0, inc, 0, 0)
            sens = rng.uniform(0.0, 1.6) if s["lang"] in ("java", "csharp", "node") else rng.uniform(0, 0.6)
            self.propagate(root, t0 + dur // 3, t1, sens, rng.uniform(0, 0.05), sens, rng.uniform(0, 0.08), inc,
                           kind, pods)
        elif kind == "disk":
            pods = self.target_pods(root, t0)
            for p in pods:
                self.ep(self.s_node("diskio", p.node, {"device": rng.choice(["nvme0n1", "sda", "xvda", "vda"])}),
                        t0 + resp(), t1, rng.uniform(0.6, 0.9), inc)
                self.ep(self.s_pod("fsio", p), t0 + resp(), t1, rng.uniform(0.6, 1.4), inc)
            sens = rng.uniform(0.5, 3.0) if s["kind"] != "app" else rng.uniform(0, 1.2)
            self.propagate(root, t0 + resp(), t1, sens, 0.0, sens, rng.uniform(0, 0.02), inc, kind, pods)
        elif kind == "delay":
            d = rng.choice([0.1, 0.2, 0.3, 0.5, 1.0, 2.0])
            pods = cl.pods_at(root, t0)
            clat = d / self.base_p99[root] * rng.uniform(0.5, 1.0)
            slat = clat * rng.uniform(0.3, 0.9) if s["deps"] else 0.0
            self.propagate(root, t0 + resp(), t1, slat, 0.0, clat, 0.0, inc, kind, pods)
        elif kind == "loss":
            p = rng.choice([0.1, 0.2, 0.3, 0.5])
            pods = cl.pods_at(root, t0)
            clat = rng.uniform(1.0, 6.0) * p / 0.2
            self.propagate(root, t0 + resp(), t1, clat * 0.4 if s["deps"] else 0.0, 0.0, clat,
                           p * rng.uniform(0.05, 0.4), inc, kind, pods)
        elif kind == "socket":
            pods = cl.pods_at(root, t0)
            if rng.random() < 0.5 and s["kind"] == "app":
                for p in pods:
                    self.ep(self.ser("fds", (root, p.name), lambda p=p: self._fd_labels(s, p), root, p.name),
                            t0 + resp(), t1, rng.uniform(0.8, 0.95), inc)
            if s["kind"] in ("db", "cache", "mq"):
                self.ep(self.s_db("dbconn", root), t0 + resp(), t1, rng.uniform(0.7, 1.0), inc)
            self.propagate(root, t0 + resp(), t1, 0.0, 0.0, rng.uniform(0, 1.0), rng.uniform(0.2, 0.9), inc, kind,
                           pods)
        elif kind in ("pod_kill", "pod_failure"):
            self._pod_fault(inc, kind, root, t0, dur)
        elif kind == "code_exception":
            self.propagate(root, t0 + resp(), t1, rng.uniform(0, 0.5), rng.uniform(0.03, 0.9), 0.0, 0.0, inc, kind)
        elif kind == "bad_deploy":
            self._bad_deploy(inc, root, t0, dur)
        elif kind == "node_down":
            self._node_down(inc, root, t0, dur)
        elif kind == "node_disk_pressure":
            self._node_disk(inc, root, t0, dur)

    def _fd_labels(self, s, p):
        d = self.env.svc_labels(s, p) if self.env.stack in ("operator", "annotations") else \
            {"job": s["name"], "namespace": s["ns"], "instance": "%s:%d" % (p.ip, s["port"]), "pod": p.name}
        d.pop("reporter", None)
        d.pop("direction", None)
        d.pop("span_kind", None)
        return d

    def _unavailable(self, inc, svc, windows, frac_of_pods, kind):
        """Traffic impact of pods going away: per window (start, end), the callers see errors."""
        for (a, b) in windows:
            if b - a < 5 * SEC:
                continue
            ce = 1.0 if frac_of_pods >= 0.99 else frac_of_pods * self.rng.uniform(0.05, 0.4)
            self.propagate(svc, a, b, 0.0, 0.0, self.rng.uniform(0, 0.5), ce, inc, kind)
            s = self.by[svc]
            if s["kind"] != "app" and ce >= 1.0:
                self.ep(self.s_db("dbdown", svc), a + 10 * SEC, b, 1.0, inc, 0, 0)

    def _pod_fault(self, inc, kind, root, t0, dur):
        rng, cl = self.rng, self.cl
        t1 = t0 + dur
        allp = cl.pods_at(root, t0)
        targets = self.target_pods(root, t0)
        startup = rng.randint(5, 20) * SEC if self.by[root]["lang"] not in ("java", "csharp") else rng.randint(30, 90) * SEC
        windows = []
        if kind == "pod_kill":
            t = t0
            every = rng.randint(60, 240) * SEC
            while t < t1:
                for p in list(targets):
                    newp = cl.replace(p, t)
                    self.ep(self.s_pod("notready", newp), newp.born, newp.born + startup, 1.0, inc, 0, 0)
                    targets[targets.index(p)] = newp
                windows.append((t, t + startup + rng.randint(2, 8) * SEC))
                t += every
        else:  # pod-failure: containers swapped for pause, not ready for the whole duration, then back
            for p in targets:
                self.ep(self.s_pod("notready", p), t0 + 10 * SEC, t1 + startup, 1.0, inc, 0, 0)
                self.ep(self.s_pod("waiting", p), t0 + 5 * SEC, t0 + 40 * SEC, 1.0, inc, 0, 0)
                if rng.random() < 0.4:
                    self.ep(self.s_pod("crash", p), t0 + 60 * SEC, t1, 1.0, inc, 0, 0)
            windows.append((t0 + 10 * SEC, t1 + startup))
        frac = len(targets) / max(1, len(allp))
        down_all = [(a, b) for a, b in windows]
        mm = self.s_workload("mismatch", root)
        self.ep(mm, t0 + 10 * SEC, t1 + startup, 1.0, inc, 0, 0)
        td = self.s_target(root)
        if td is not None:
            self.ep(td, t0 + 15 * SEC, t1 + startup, frac * rng.uniform(0.9, 1.0), inc, 0, 0)
        self._unavailable(inc, root, down_all if kind == "pod_kill" else windows, frac, kind)

    def _bad_deploy(self, inc, root, t0, dur):
        rng, cl = self.rng, self.cl
        s = self.by[root]
        old = s["version"]
        new = bump(rng, old)
        self.changes.append((t0, self.change_labels(root, "deploy", new), {"summary": "deploy %s %s -> %s" %
                                                                          (root, old, new)}, inc, 1))
        variant = pick_w(rng, [("crashloop", 3), ("errors", 4), ("latency", 2), ("leak", 1)])
        t1 = t0 + dur
        if variant == "crashloop":
            np_ = cl._new_pod(root, rng.choice(cl.nodes), t0 + 5 * SEC)
            np_.died = t1 + 10 * SEC
            self.ep(self.s_pod("crash", np_), t0 + 60 * SEC, t1, 1.0, inc, 0, 0)
            self.ep(self.s_pod("waiting", np_), t0 + 40 * SEC, t1, 1.0, inc, 0, 0)
            self.ep(self.s_pod("notready", np_), t0 + 5 * SEC, t1, 1.0, inc, 0, 0)
            self.ep(self.s_workload("mismatch", root), t0 + 5 * SEC, t1, 1.0, inc, 0, 0)
            self.ep(self.s_workload("rollout", root), t0 + 600 * SEC, t1, 1.0, inc, 0, 0)
            roll = t1
        else:
            newpods = cl.rollout(root, t0)
            s["version"] = new
            onset = t0 + rng.randint(20, 120) * SEC
            if variant == "errors":
                self.propagate(root, onset, t1, rng.uniform(0, 0.4), rng.uniform(0.03, 1.0), 0.0, 0.0, inc,
                               "code_exception")
            elif variant == "latency":
                sens = rng.uniform(0.8, 5.0)
                self.propagate(root, onset, t1, sens, rng.uniform(0, 0.02), sens, 0.0, inc, "code_exception")
            else:
                for p in newpods:
                    self.ep(self.s_pod("mem", p), onset, t1, rng.uniform(0.5, 0.8), inc, shape="leak")
                sens = rng.uniform(0, 1.0)
                self.propagate(root, t0 + dur // 2, t1, sens, 0.0, sens, 0.0, inc, "mem")
            roll = t1
        if rng.random() < 0.75:  # rolled back
            self.changes.append((roll, self.change_labels(root, "rollback", old),
                                 {"summary": "rollback %s %s -> %s" % (root, new, old)}, inc, 0))
            if variant != "crashloop":
                cl.rollout(root, roll)
            s["version"] = old

    def _node_down(self, inc, node, t0, dur):
        rng, cl = self.rng, self.cl
        t1 = t0 + dur
        grace = 40 * SEC
        self.ep(self.s_node("nodenotready", node), t0 + grace, t1, 1.0, inc, 0, 0)
        self.ep(self.s_node("unreachable", node), t0 + grace + 5 * SEC, t1, 1.0, inc, 0, 0)
        self.ep(self.s_node("nodedown", node), t0 + rng.randint(10, 30) * SEC, t1, 1.0, inc, 0, 0)
        n = len(cl.nodes)
        kl = self.ser("targetdown", ("kubelet",), lambda: {"job": "kubelet", "namespace": "kube-system",
                                                             "service": "kubelet", "metrics_path": "/metrics"},
                      "node:" + node, "kubelet")
        self.ep(kl, t0 + 15 * SEC, t1, 1.0 / n + 0.0001, inc, 0, 0)
        evict = t0 + grace + 300 * SEC
        pods = cl.pods_on(node, t0)
        by_svc = {}
        for p in pods:
            by_svc.setdefault(p.svc, []).append(p)
        others = [x for x in cl.nodes if x != node]
        for svc, ps in sorted(by_svc.items()):
            s = self.by[svc]
            allp = cl.pods_at(svc, t0)
            frac = len(ps) / max(1, len(allp))
            for p in ps:
                if not self.env.kp_defaults:
                    self.ep(self.s_pod("notready", p), t0 + grace, min(t1, evict), 1.0, inc, 0, 0)
                if evict < t1:
                    newp = cl.replace(p, evict, node=rng.choice(others), delay=rng.randint(5, 30) * SEC)
                    self.ep(self.s_pod("notready", newp), newp.born, newp.born + rng.randint(10, 60) * SEC, 1.0,
                            inc, 0, 0)
            self.ep(self.s_workload("mismatch", svc), t0 + grace, min(t1, evict + 60 * SEC), 1.0, inc, 0, 0)
            td = self.s_target(svc)
            if td is not None:
                self.ep(td, t0 + 20 * SEC, min(t1, evict + 60 * SEC), frac, inc, 0, 0)
            # endpoints go stale until the node is marked NotReady, then traffic shifts (if it can)
            if frac >= 0.99:
                self._unavailable(inc, svc, [(t0 + 5 * SEC, min(t1, evict + 45 * SEC))], 1.0, "node_down")
            else:
                self._unavailable(inc, svc, [(t0 + 5 * SEC, t0 + grace + 10 * SEC)], frac, "node_down")

    def _node_disk(self, inc, node, t0, dur):
        rng, cl = self.rng, self.cl
        t1 = t0 + dur
        mp = rng.choice(["/", "/var/lib/kubelet", "/var/lib/containerd"])
        fs = {"device": rng.choice(["/dev/nvme0n1p1", "/dev/sda1", "/dev/root"]), "fstype": "ext4", "mountpoint": mp}
        self.ep(self.s_node("fsfill", node, fs), t0, t1, 1.0, inc, 0, 0)
        self.ep(self.s_node("fsfull", node, fs), t0, t1, rng.uniform(0.4, 0.46), inc, ramp=dur * 0.6, decay=60 * SEC)
        t_p = t0 + int(dur * rng.uniform(0.4, 0.7))
        self.ep(self.s_node("pressure", node), t_p, t1 + 60 * SEC, 1.0, inc, 0, 0)
        pods = cl.pods_on(node, t_p)
        rng.shuffle(pods)
        for p in pods[:rng.randint(1, 3)]:
            newp = cl.replace(p, t_p + rng.randint(10, 60) * SEC, node=rng.choice([x for x in cl.nodes if x != node]),
                              delay=rng.randint(3, 20) * SEC)
            self.ep(self.s_pod("notready", newp), newp.born, newp.born + rng.randint(10, 90) * SEC, 1.0, inc, 0, 0)
            allp = cl.pods_at(p.svc, p.died - 1)
            frac = 1.0 / max(1, len(allp))
            self.ep(self.s_workload("mismatch", p.svc), p.died, newp.born + 60 * SEC, 1.0, inc, 0, 0)
            self._unavailable(inc, p.svc, [(p.died, newp.born + rng.randint(10, 40) * SEC)], frac, kind="evict")

    def change_labels(self, svc, ctype, version):
        s = self.by[svc]
        d = {"alertname": self.change_name, "service": svc, "change_type": ctype, "namespace": s["ns"]}
        if ctype in ("deploy", "rollback"):
            d["deploy"] = "%s@%s" % (svc, version)
        if self.env.cluster_label:
            d[self.env.cluster_label] = self.env.cluster
        return d

    # --- noise ---------------------------------------------------------------------------------
    def noise_inc(self):
        self.noise_n += 1
        return "noise-%d" % self.noise_n

    def noise(self):
        rng, e, cl = self.rng, self.env, self.cl
        T0, T1 = self.t0, self.t1
        apps = [s["name"] for s in self.svcs if s["kind"] == "app"]
        if e.sender == "prometheus" and rng.random() < 0.35:
            self.ep(self.ser("watchdog", ("w",), lambda: {}, None, "Watchdog"), T0 - 3600 * SEC, T1 + 3600 * SEC,
                    1.0, self.noise_inc(), 0, 0)
        if rng.random() < 0.4:
            cert = rng.choice(["shop-tls", "api-tls", "wildcard-example-com", "ingress-cert"])
            cns = self.by[rng.choice(apps)]["ns"]
            self.ep(self.ser("cert", ("c",), lambda: {"name": cert, "exported_namespace": cns,
                                                     "namespace": "cert-manager", "job": "cert-manager",
                                                     "instance": "10.244.%d.%d:9402" % (rng.randint(0, 15), rng.randint(2, 254))},
                                None, cert), T0 - 7200 * SEC, T1 + 3600 * SEC, 1.0, self.noise_inc(), 0, 0)
        if rng.random() < 0.3:
            self.ep(self.ser("overcommit", ("o",), lambda: {}, None, "cluster"), T0 - 3600 * SEC,
                    T0 + rng.randint(30, 300) * MIN, 1.0, self.noise_inc(), 0, 0)
        if rng.random() < 0.25:
            dbs = [s["name"] for s in self.svcs if s["kind"] in ("db", "mq")]
            if dbs:
                db = rng.choice(dbs)
                s = self.by[db]
                pvc = "data-%s-0" % db if s.get("sts") else "%s-data" % db
                lab = lambda: {"namespace": s["ns"], "persistentvolumeclaim": pvc, "job": "kubelet",
                               "metrics_path": "/metrics", **({"service": "kubelet", "instance": "%s:10250" %
                                                                self.cl.node_ip[rng.choice(cl.nodes)]}
                                                               if e.cadvisor_raw else {})}
                self.ep(self.ser("pvc", (db,), lab, db, pvc), T0 - 3600 * SEC, T1 + 3600 * SEC, 1.0,
                        self.noise_inc(), 0, 0)
        # cron jobs failing now and then
        for _ in range(pick_w(rng, [(0, 2), (1, 5), (2, 3)])):
            cj = rng.choice(["db-backup", "report-generator", "cleanup-sessions", "sync-inventory", "es-curator",
                             "nightly-export", "cache-warmer"])
            ns = rng.choice([s["ns"] for s in self.svcs])
            period = rng.choice([15, 30, 60]) * MIN
            pfail = rng.uniform(0.15, 0.5)
            t = T0 - (T0 % period) + period
            while t < T1:
                if rng.random() < pfail:
                    jn = "%s-%d" % (cj, t // MIN)
                    tf = t + rng.randint(30, 600) * SEC
                    ser = self.ser("jobfailed", (jn,), lambda jn=jn, ns=ns: e.ksm({"namespace": ns, "job_name": jn}),
                                   None, jn)
                    self.ep(ser, tf, tf + rng.randint(10, 60) * MIN, 1.0, self.noise_inc(), 0, 0)
                t += period
        # HPA at max during traffic bumps
        for _ in range(pick_w(rng, [(0, 3), (1, 4), (2, 2), (3, 1)])):
            svc = rng.choice(apps)
            t = rng.randint(T0, T1 - 20 * MIN)
            ser = self.ser("hpa", (svc,), lambda svc=svc: e.ksm({"namespace": self.by[svc]["ns"],
                                                                 "horizontalpodautoscaler": svc}), None, svc)
            self.ep(ser, t, t + rng.randint(10, 45) * MIN, 1.0, self.noise_inc(), 0, 0)
        # flapping: a series sitting at its threshold for a while
        for _ in range(pick_w(rng, [(0, 2), (1, 4), (2, 3), (3, 1)])):
            t = rng.randint(T0, T1 - 30 * MIN)
            d = rng.randint(20, 90) * MIN
            what = rng.choice(["lat", "lat", "notready", "clock", "conntrack", "err"])
            inc = self.noise_inc()
            if what in ("lat", "err"):
                svc = rng.choice(apps)
                rule = e.rules[what]
                ser = self.s_app(what, svc, rng.choice(cl.pods_at(svc, t)) if e.per_pod and cl.pods_at(svc, t) else None)
                base = rule.base
                peak = (rule.thr - base) * rng.uniform(0.95, 1.12) if what == "lat" else rule.thr * rng.uniform(0.9, 1.3)
                self.ep(ser, t, t + d, peak, inc, 60 * SEC, 60 * SEC)
            elif what == "notready":
                svc = rng.choice(apps)
                ps = cl.pods_at(svc, t)
                if not ps:
                    continue
                p = rng.choice(ps)
                tt = t
                while tt < t + d:
                    up = rng.randint(20, 240) * SEC
                    self.ep(self.s_pod("notready", p), tt, tt + up, 1.0, inc, 0, 0)
                    tt += up + rng.randint(60, 600) * SEC
            elif what == "clock":
                node = rng.choice(cl.nodes)
                tt = t
                while tt < t + d:
                    up = rng.randint(3, 20) * MIN
                    self.ep(self.s_node("clock", node), tt, tt + up, 1.0, inc, 0, 0)
                    tt += up + rng.randint(2, 15) * MIN
            else:
                node = rng.choice(cl.nodes)
                self.ep(self.s_node("conntrack", node), t, t + d, e.rules["conntrack"].thr - 0.5 + 0.01, inc,
                        60 * SEC, 60 * SEC)
        # short blips: a GC pause, a slow query burst, a traffic spike
        for _ in range(rng.randint(2, 7)):
            t = rng.randint(T0, T1 - 5 * MIN)
            svc = rng.choice(apps)
            inc = self.noise_inc()
            d = rng.randint(1, 5) * MIN
            if rng.random() < 0.6:
                ser = self.s_app("lat", svc, rng.choice(cl.pods_at(svc, t)) if e.per_pod and cl.pods_at(svc, t) else None)
                self.ep(ser, t, t + d, rng.uniform(1.5, 4.0), inc)
            elif rng.random() < 0.5:
                self.ep(self.s_app("err", svc), t, t + d, rng.uniform(0.03, 0.3), inc)
            else:
                ps = cl.pods_at(svc, t)
                if ps:
                    self.ep(self.s_pod("cpu", rng.choice(ps)), t, t + d, rng.uniform(0.7, 1.0), inc)
        # innocent changes: deploys and config pushes, some with a slow-starting pod
        t = T0 + rng.randint(5, 40) * MIN
        while t < T1:
            svc = rng.choice(apps)
            s = self.by[svc]
            ctype = pick_w(rng, [("deploy", 6), ("config", 2), ("feature_flag", 1), ("scale", 1)])
            if ctype == "deploy":
                new = bump(rng, s["version"])
                self.changes.append((t, self.change_labels(svc, "deploy", new),
                                     {"summary": "deploy %s %s -> %s" % (svc, s["version"], new)}, None, 0))
                s["version"] = new
                newpods = self.cl.rollout(svc, t)
                if newpods and rng.random() < 0.25:
                    inc = self.noise_inc()
                    for p in newpods:
                        self.ep(self.s_pod("notready", p), p.born, p.born + rng.randint(60, 300) * SEC, 1.0, inc, 0, 0)
                    self.ep(self.s_workload("mismatch", svc), t, t + rng.randint(2, 6) * MIN, 1.0, inc, 0, 0)
            else:
                self.changes.append((t, self.change_labels(svc, ctype, s["version"]),
                                     {"summary": "%s change on %s" % (ctype, svc)}, None, 0))
            t += rng.randint(10, 60) * MIN

    # --- timeline ------------------------------------------------------------------------------
    def near(self, a, b, hops=2):
        if a is None or b is None:
            return False
        seen, fr = {a}, [a]
        for _ in range(hops):
            nx = []
            for x in fr:
                for y in self.by[x]["deps"] + self.callers[x]:
                    if y not in seen:
                        seen.add(y)
                        nx.append(y)
            fr = nx
        return b in seen

    def plan(self):
        rng = self.rng
        self.change_name = rng.choice(["deploy", "Deployment", "ArgoCDSyncSucceeded", "FluxReconciled", "Release"])
        kinds = [("cpu", 13), ("mem", 12), ("disk", 7), ("delay", 12), ("loss", 8), ("socket", 5), ("pod_kill", 7),
                 ("pod_failure", 7), ("code_exception", 12), ("bad_deploy", 9), ("node_down", 5),
                 ("node_disk_pressure", 3)]
        roots = [s["name"] for s in self.svcs if s["kind"] != "load" and s["name"] != "edge-router"]
        app_roots = [r for r in roots if self.by[r]["kind"] == "app"]
        t = self.t0 + rng.randint(5, 15) * MIN
        n = 0
        busy = {}  # root -> end of its last case (plus recovery): no new case on it before
        cases = []
        while t < self.t1 - 15 * MIN:
            batch = [t]
            if rng.random() < 0.2:
                batch.append(t + rng.randint(0, 6) * MIN)
            used = []
            for tt in batch:
                kind = pick_w(rng, kinds)
                if kind in ("node_down", "node_disk_pressure"):
                    root = rng.choice(self.cl.nodes)
                    if root in used or busy.get(root, 0) > tt:
                        continue
                    rs = "node:" + root
                else:
                    pool = app_roots if kind in ("code_exception", "bad_deploy") or rng.random() < 0.75 else roots
                    cand = [r for r in pool if not any(u in self.by and self.near(u, r) for u in used)
                            and busy.get(r, 0) <= tt]
                    if not cand:
                        continue
                    root = rng.choice(cand)
                    rs = root
                used.append(root)
                n += 1
                dur = rng.randint(5, 10) * MIN if not kind.startswith("node") else rng.randint(8, 25) * MIN
                busy[root] = tt + dur + 20 * MIN
                cases.append((tt, "f%d" % n, kind, root, rs, dur))
            t += rng.randint(10, 30) * MIN
        self.cases = cases
        for tt, inc, kind, root, rs, dur in cases:
            self.fault(inc, kind, root, tt, dur)
        self.case_info = {inc: (rs, kind) for tt, inc, kind, root, rs, dur in cases}

    # --- emission ------------------------------------------------------------------------------
    def emit(self):
        out = []
        for key in self.series:
            ser = self.series[key]
            if not ser.eps:
                continue
            out.extend(self.run_series(key, ser))
        return out

    def run_series(self, key, ser):
        e, rule = self.env, ser.rule
        rng = sub_rng("series", self.seed, self.system, key)
        I = e.interval
        eps = sorted(ser.eps, key=lambda x: x.t_on)
        # windows of interest
        wins = []
        tail = rule.for_ms + 16 * MIN + 2 * I
        for ep in eps:
            a, b = ep.t_on - I, ep.end() + tail
            if wins and a <= wins[-1][1]:
                wins[-1][1] = max(wins[-1][1], b)
            else:
                wins.append([a, b])
        res = []
        ph = rule.group
        for a, b in wins:
            k0 = (a - ph) // I + 1
            state, active_at, last_sent, resolved_at, inc, val, fired = "inactive", 0, 0, 0, None, 0.0, 0
            t = ph + k0 * I
            while t <= b:
                lvl, dom = 0.0, None
                for ep in eps:
                    if ep.t_on <= t <= ep.end():
                        c = ep.at(t)
                        lvl += c
                        if dom is None or c > dom[0]:
                            dom = (c, ep.inc)
                metric = min(rule.base + lvl, rule.cap)
                if rule.sigma:
                    metric *= math.exp(rng.gauss(0, rule.sigma))
                cond = metric > rule.thr and lvl > 0
                if cond:
                    if state in ("inactive", "resolved"):
                        state, active_at = "pending", t
                        inc = dom[1]
                    if state == "pending" and t - active_at >= rule.for_ms:
                        state, fired, last_sent = "firing", t, -1
                    val = metric
                else:
                    if state == "pending":
                        state = "inactive"
                    elif state == "firing":
                        state, resolved_at = "resolved", t
                # sending
                if state == "firing":
                    if e.sender == "prometheus":
                        if last_sent < 0 or last_sent + e.resend < t:
                            res.append((t, "firing", ser, inc, val))
                            last_sent = t
                    else:
                        if last_sent < 0 or t - last_sent >= e.repeat:
                            res.append((t, "firing", ser, inc, val))
                            last_sent = t
                elif state == "resolved":
                    if e.sender == "prometheus":
                        if t - resolved_at > 15 * MIN:
                            state = "inactive"
                        elif last_sent < resolved_at or last_sent + e.resend < t:
                            res.append((t, "resolved", ser, inc, val))
                            last_sent = t
                    else:
                        res.append((t, "resolved", ser, inc, val))
                        state = "inactive"
                t += I
        return res

    # --- output ----------------------------------------------------------------------------------
    def value_text(self, rule, v, subject):
        if rule.unit == "s":
            return "%.3fs" % v
        if rule.unit in ("ratio", "cores/limit"):
            return "%.1f%%" % (100 * v)
        if rule.unit == "%":
            return "%.0f%%" % (100 * v)
        return "%.3g" % v

    def write(self, out_dir, quiet):
        e, rng = self.env, self.rng
        recs = self.emit()
        lines = []
        common = e.common()
        drng = sub_rng("delivery", self.seed, self.system)
        for (t, status, ser, inc, val) in recs:
            rule = ser.rule
            labels = {"alertname": rule.alertname}
            if rule.severity != "none" or rule.alertname == "Watchdog":
                labels["severity"] = rule.severity
            labels.update(ser.labels)
            for k, v in common.items():
                labels.setdefault(k, v)
            if e.team_label and ser.subject and not ser.subject.startswith("node:") and ser.subject in self.by:
                labels.setdefault("team", self.by[ser.subject]["team"])
            value = val * (self.base_p99.get(ser.subject, 0.1) if rule.unit == "s" else 1.0)
            if rule.fam == "targetdown":
                value = 100 * val
            ann = {"summary": rule.summary.format(s=ser.text, v=self.value_text(rule, val if rule.unit != "s" else value,
                                                                                   ser.subject))}
            if inc.startswith("noise"):
                root, rs, kind = 0, "", "noise"
            else:
                rs, kind = self.case_info[inc]
                root = 1 if (ser.subject == rs) else 0
            ts = t + drng.randint(5, 900)
            arrive = ts + (drng.randint(20, 400) if drng.random() < 0.9 else drng.randint(500, 6000))
            rec = {"ts": ts, "status": status, "labels": labels, "annotations": ann}
            if rule.sigma:
                rec["value"] = round(value, 4)
            lines.append((arrive, rec, (inc, root, rs, kind)))
            if e.ha:
                ts2 = ts + drng.randint(100, e.interval)
                lines.append((ts2 + drng.randint(20, 400), dict(rec, ts=ts2), (inc, root, rs, kind)))
        for (t, labels, ann, inc, root) in self.changes:
            rec = {"ts": t, "kind": "change", "status": "firing", "labels": labels, "annotations": ann}
            tr = None
            if inc is not None:
                rs, kind = self.case_info[inc]
                tr = (inc, root, rs, kind)
            lines.append((t + drng.randint(50, 2000), rec, tr))
        lines.sort(key=lambda x: (x[0], x[1]["ts"]))
        os.makedirs(out_dir, exist_ok=True)
        truth = ["alert_id\tincident\troot\troot_service\tkind"]
        n_alerts = 0
        with open(os.path.join(out_dir, "alerts.ndjson"), "w") as f:
            for i, (_, rec, tr) in enumerate(lines):
                rid = "a-%06d" % (i + 1)
                obj = {"id": rid}
                obj.update(rec)
                f.write(json.dumps(obj, separators=(",", ":")) + "\n")
                if tr is not None:
                    truth.append("%s\t%s\t%d\t%s\t%s" % (rid, tr[0], tr[1], tr[2], tr[3]))
                if rec.get("kind") != "change":
                    n_alerts += 1
        with open(os.path.join(out_dir, "truth.tsv"), "w") as f:
            f.write("\n".join(truth) + "\n")
        with open(os.path.join(out_dir, "topology.yaml"), "w") as f:
            f.write(self.topology())
        faults = sorted({tr[0] for _, _, tr in lines if tr and not tr[0].startswith("noise")}, key=lambda x: int(x[1:]))
        summary = {"generator": "fi_storm.py", "system": self.system, "seed": self.seed, "alerts": n_alerts,
                   "changes": len(self.changes), "cases": [{"incident": c[1], "kind": c[2], "root": c[4],
                                                            "start": c[0], "duration_ms": c[5],
                                                            "alerted": c[1] in faults} for c in self.cases],
                   "noise_incidents": self.noise_n, "nodes": self.cl.nodes,
                   "habits": {k: getattr(e, k) for k in ("stack", "view", "per_pod", "edge_by_source", "cluster_label",
                                                          "ksm_target_labels", "cadvisor_raw", "node_instance", "loki",
                                                          "blackbox", "sender", "interval", "ha", "kp_defaults")}}
        with open(os.path.join(out_dir, "storm.json"), "w") as f:
            json.dump(summary, f, indent=1)
        if not quiet:
            print("fi_storm: %s seed %d: %d alerts, %d changes, %d cases (%d alerting), %d noise incidents, stack %s/%s"
                  % (self.system, self.seed, n_alerts, len(self.changes), len(self.cases), len(faults), self.noise_n,
                     e.stack, e.view), file=sys.stderr)

    def topology(self):
        """The call graph as the team documents it: now and then an edge is missing (stale docs)."""
        rng = sub_rng("topo", self.seed, self.system)
        stale = rng.random() < 0.25
        out = ["services:"]
        for s in self.svcs:
            deps = [d for d in s["deps"] if not (stale and rng.random() < 0.04)]
            out.append("  %s: {depends_on: [%s]}" % (s["name"], ", ".join(deps)))
        return "\n".join(out) + "\n"


def bump(rng, v):
    a, b, c = (int(x) for x in v[1:].split("."))
    if rng.random() < 0.7:
        return "v%d.%d.%d" % (a, b, c + 1)
    return "v%d.%d.0" % (a, b + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__ or "fault-injection alert storms")
    ap.add_argument("--system", required=True, choices=["boutique", "sockshop", "trainticket", "synthetic", "mixed"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    st = Storm(args)
    st.plan()
    st.noise()
    st.write(args.out, args.quiet)


if __name__ == "__main__":
    main()
