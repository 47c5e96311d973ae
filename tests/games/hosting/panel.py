"""A Pterodactyl panel for tests: its application API in its wire format, on pytest-httpserver.

Shapes from Pterodactyl's transformers (app/Transformers/Api/Application/*): every item is
`{"object": <type>, "attributes": {...}}`, lists add `meta.pagination`, `include=` nests
relationships under `attributes.relationships`, errors are `{"errors": [{"code", "status", "detail"}]}`.
"""

import json
import re
from dataclasses import dataclass, field

from werkzeug import Request, Response

API_KEY = "ptla_test_application_key_0123456789"
NOW = "2026-01-01T00:00:00+00:00"


def error(status: int, code: str, detail: str, headers=None) -> Response:
    body = {"errors": [{"code": code, "status": str(status), "detail": detail}]}
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers or {})


@dataclass
class FakePanel:
    per_page: int = 2
    locations: dict = field(default_factory=dict)
    nodes: dict = field(default_factory=dict)
    allocations: dict = field(default_factory=dict)  # id -> attrs with "node" and "server"
    nests: dict = field(default_factory=dict)
    eggs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    servers: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    faults: list = field(default_factory=list)  # (method, path regex, Response) answered once each
    failing_pages: set = field(default_factory=set)  # (path, page) answered 503 every time
    next_id: int = 100

    # State -----------------------------------------------------------------------------------

    def seed(self, *, servers: int = 3) -> "FakePanel":
        self.locations = {
            1: {"id": 1, "short": "eu-west", "long": "Amsterdam"},
            2: {"id": 2, "short": "us-east", "long": "New York"},
        }
        self.nodes = {
            1: self._node(1, "ams-1", 1),
            2: self._node(2, "ams-2", 1),
            3: self._node(3, "nyc-1", 2),
        }
        aid = 1
        for node_id in self.nodes:
            for port in range(25565, 25569):
                self.allocations[aid] = {
                    "id": aid,
                    "ip": f"10.0.{node_id}.1",
                    "alias": None,
                    "port": port,
                    "notes": None,
                    "node": node_id,
                    "server": None,
                }
                aid += 1
        self.nests = {
            1: {
                "id": 1,
                "uuid": "n-1",
                "author": "support@pterodactyl.io",
                "name": "Minecraft",
                "description": "Minecraft servers",
            }
        }
        self.eggs = {
            1: self._egg(
                1,
                "Paper",
                [(1, "Server Jar File", "SERVER_JARFILE", "server.jar"), (2, "Build Number", "BUILD_NUMBER", "latest")],
            ),
            2: self._egg(2, "Vanilla", [(3, "Version", "VANILLA_VERSION", "latest")]),
        }
        self.users = {
            1: {
                "id": 1,
                "external_id": None,
                "uuid": "u-1",
                "username": "alice",
                "email": "alice@example.test",
                "first_name": "Alice",
                "last_name": "A",
                "language": "en",
                "root_admin": False,
                "2fa": False,
            },
            2: {
                "id": 2,
                "external_id": None,
                "uuid": "u-2",
                "username": "bob",
                "email": "bob@example.test",
                "first_name": "Bob",
                "last_name": "B",
                "language": "en",
                "root_admin": False,
                "2fa": False,
            },
        }
        for i in range(1, servers + 1):
            self.add_server(i, name=f"survival-{i}", user=1 + (i % 2), node=1, egg=1, allocation=i)
        return self

    def _node(self, nid, name, location):
        return {
            "id": nid,
            "uuid": f"node-{nid}",
            "public": True,
            "name": name,
            "description": "",
            "location_id": location,
            "fqdn": f"{name}.panel.test",
            "scheme": "https",
            "behind_proxy": False,
            "maintenance_mode": False,
            "memory": 32768,
            "memory_overallocate": 0,
            "disk": 512000,
            "disk_overallocate": 0,
            "upload_size": 100,
            "daemon_listen": 8080,
            "daemon_sftp": 2022,
            "daemon_base": "/var/lib/pterodactyl/volumes",
            "created_at": NOW,
            "updated_at": NOW,
        }

    def _egg(self, eid, name, variables):
        return {
            "id": eid,
            "uuid": f"egg-{eid}",
            "name": name,
            "nest": 1,
            "author": "support@pterodactyl.io",
            "description": f"{name} server",
            "docker_image": "ghcr.io/pterodactyl/yolks:java_17",
            "docker_images": {"Java 17": "ghcr.io/pterodactyl/yolks:java_17"},
            "config": {},
            "startup": "java -jar {{SERVER_JARFILE}}",
            "script": {},
            "created_at": NOW,
            "updated_at": NOW,
            "variables": [
                {
                    "id": vid,
                    "egg_id": eid,
                    "name": vname,
                    "description": "",
                    "env_variable": env,
                    "default_value": default,
                    "user_viewable": True,
                    "user_editable": True,
                    "rules": "required|string",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for vid, vname, env, default in variables
            ],
        }

    def add_server(self, sid, *, name, user, node, egg, allocation, external_id=None, memory=2048):
        self.allocations[allocation]["server"] = sid
        self.servers[sid] = {
            "id": sid,
            "external_id": external_id,
            "uuid": f"uuid-{sid}",
            "identifier": f"id{sid:06d}",
            "name": name,
            "description": "",
            "status": None,
            "suspended": False,
            "limits": {
                "memory": memory,
                "swap": 0,
                "disk": 10240,
                "io": 500,
                "cpu": 200,
                "threads": None,
                "oom_disabled": True,
            },
            "feature_limits": {"databases": 1, "allocations": 1, "backups": 2},
            "user": user,
            "node": node,
            "allocation": allocation,
            "nest": 1,
            "egg": egg,
            "container": {
                "startup_command": "java -jar {{SERVER_JARFILE}}",
                "image": "ghcr.io/pterodactyl/yolks:java_17",
                "installed": 1,
                "environment": {"SERVER_JARFILE": "server.jar", "P_SERVER_LOCATION": "eu-west"},
            },
            "updated_at": NOW,
            "created_at": NOW,
        }
        return self.servers[sid]

    # Wire format ----------------------------------------------------------------------------

    def _item(self, kind, attrs, relationships=None):
        attrs = {k: v for k, v in attrs.items() if k not in ("variables", "node", "server") or kind in ("server",)}
        if kind == "allocation":
            attrs = {k: v for k, v in attrs.items() if k in ("id", "ip", "alias", "port", "notes")}
            attrs["assigned"] = self.allocations[attrs["id"]]["server"] is not None
        if relationships:
            attrs["relationships"] = relationships
        return {"object": kind, "attributes": attrs}

    def _list(self, kind, items, request, include=None):
        page = int(request.args.get("page", 1))
        per_page = min(int(request.args.get("per_page", 50)), self.per_page)
        rows = list(items)
        total_pages = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        return {
            "object": "list",
            "data": [self._item(kind, a, include(a) if include else None) for a in chunk],
            "meta": {
                "pagination": {
                    "total": len(rows),
                    "count": len(chunk),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": total_pages,
                    "links": {"next": f"?page={page + 1}"} if page < total_pages else {},
                }
            },
        }

    def _server_relationships(self, s, request):
        includes = set((request.args.get("include") or "").split(","))
        rel = {}
        if "allocations" in includes:
            rel["allocations"] = {
                "object": "list",
                "data": [self._item("allocation", a) for a in self.allocations.values() if a["server"] == s["id"]],
            }
        if "variables" in includes:
            egg = self.eggs[s["egg"]]
            env = s["container"]["environment"]
            rel["variables"] = {
                "object": "list",
                "data": [
                    {
                        "object": "server_variable",
                        "attributes": {
                            **{k: v for k, v in var.items()},
                            "server_value": env.get(var["env_variable"], var["default_value"]),
                        },
                    }
                    for var in egg["variables"]
                ],
            }
        if "databases" in includes:
            rel["databases"] = {"object": "list", "data": []}
        return rel

    def _server(self, s, request, status=200):
        return self._json(self._item("server", s, self._server_relationships(s, request)), status)

    def _json(self, body, status=200):
        return Response(json.dumps(body), status=status, content_type="application/json")

    def handle(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "args": request.args.to_dict(flat=False),
                "json": json.loads(body) if body else None,
                "authorization": request.headers.get("Authorization"),
                "accept": request.headers.get("Accept"),
            }
        )
        for fault in list(self.faults):
            method, pattern, response = fault
            if method == request.method and re.fullmatch(pattern, request.path):
                self.faults.remove(fault)
                return response
        if (request.path, request.args.get("page")) in self.failing_pages:
            return error(503, "HttpException", "Service Unavailable")
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return error(401, "AuthenticationException", "Unauthenticated.")
        path = request.path.removeprefix("/api/application")
        m = request.method
        if m == "GET" and path == "/locations":
            return self._json(self._list("location", self.locations.values(), request))
        if m == "GET" and path == "/nodes":
            return self._json(self._list("node", self.nodes.values(), request))
        if m == "GET" and path == "/nodes/deployable":
            memory, disk = int(request.args["memory"]), int(request.args["disk"])
            locations = [int(x) for x in request.args.getlist("location_ids[]")]
            fit = [
                n
                for n in self.nodes.values()
                if (not locations or n["location_id"] in locations) and n["memory"] >= memory and n["disk"] >= disk
            ]
            return self._json(self._list("node", fit, request))
        if match := re.fullmatch(r"/nodes/(\d+)/allocations", path):
            node = int(match[1])
            return self._json(
                self._list("allocation", [a for a in self.allocations.values() if a["node"] == node], request)
            )
        if m == "GET" and path == "/nests":
            return self._json(self._list("nest", self.nests.values(), request))
        if match := re.fullmatch(r"/nests/(\d+)/eggs", path):
            eggs = [e for e in self.eggs.values() if e["nest"] == int(match[1])]
            include = (
                (
                    lambda e: {
                        "variables": {
                            "object": "list",
                            "data": [{"object": "egg_variable", "attributes": v} for v in e["variables"]],
                        }
                    }
                )
                if "variables" in request.args.get("include", "")
                else None
            )
            return self._json(self._list("egg", eggs, request, include))
        if m == "GET" and path == "/users":
            return self._json(self._list("user", self.users.values(), request))
        if m == "POST" and path == "/users":
            data = json.loads(body)
            uid = self.next_id = self.next_id + 1
            self.users[uid] = {
                "id": uid,
                "uuid": f"u-{uid}",
                "language": "en",
                "root_admin": False,
                "2fa": False,
                **data,
            }
            return self._json(self._item("user", self.users[uid]), 201)
        if m == "GET" and path == "/servers":
            return self._json(
                self._list("server", self.servers.values(), request, lambda s: self._server_relationships(s, request))
            )
        if match := re.fullmatch(r"/servers/external/(.+)", path):
            found = [s for s in self.servers.values() if s["external_id"] == match[1]]
            return (
                self._server(found[0], request)
                if found
                else error(404, "NotFoundHttpException", "The requested resource could not be found on the server.")
            )
        if m == "POST" and path == "/servers":
            data = json.loads(body)
            if not data.get("name"):
                return Response(
                    json.dumps(
                        {
                            "errors": [
                                {
                                    "code": "required",
                                    "status": "422",
                                    "detail": "The name field is required.",
                                    "meta": {"source_field": "name", "rule": "required"},
                                }
                            ]
                        }
                    ),
                    status=422,
                    content_type="application/json",
                )
            sid = self.next_id = self.next_id + 1
            alloc = self.allocations[data["allocation"]["default"]]
            s = self.add_server(
                sid,
                name=data["name"],
                user=data["user"],
                node=alloc["node"],
                egg=data["egg"],
                allocation=alloc["id"],
                external_id=data.get("external_id"),
                memory=data["limits"]["memory"],
            )
            s["status"] = "installing"
            s["container"]["installed"] = 0
            return self._server(s, request, 201)
        if match := re.fullmatch(r"/servers/(\d+)(/\w+)?", path):
            sid, action = int(match[1]), match[2] or ""
            s = self.servers.get(sid)
            if s is None:
                return error(404, "NotFoundHttpException", "The requested resource could not be found on the server.")
            if m == "GET" and not action:
                return self._server(s, request)
            if m == "POST" and action in ("/suspend", "/unsuspend"):
                s["suspended"] = action == "/suspend"
                s["status"] = "suspended" if s["suspended"] else None
                return Response(status=204)
            if m == "POST" and action == "/reinstall":
                s["status"] = "installing"
                return Response(status=204)
            if m == "PATCH" and action == "/build":
                data = json.loads(body)
                s["limits"].update({k: data[k] for k in ("memory", "swap", "disk", "io", "cpu") if k in data})
                s["feature_limits"].update(data.get("feature_limits") or {})
                return self._server(s, request)
            if m == "PATCH" and action == "/details":
                data = json.loads(body)
                s.update({k: data[k] for k in ("name", "user", "external_id", "description") if k in data})
                return self._server(s, request)
            if m == "DELETE" and not action:
                for a in self.allocations.values():
                    if a["server"] == sid:
                        a["server"] = None
                del self.servers[sid]
                return Response(status=204)
        return error(404, "NotFoundHttpException", "The requested resource could not be found on the server.")

    def install(self, httpserver):
        httpserver.expect_request(re.compile(r"/api/application/.*")).respond_with_handler(self.handle)
        return self
