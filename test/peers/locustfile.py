# The Locust file for a master that drives sockit workers: one user class; the workers do its work.
# Start: locust -f locustfile.py --master ...; workers: sockit load <host> <port> --locust <master>
from locust import User, constant, task


class SockitUser(User):
    # a master never runs users itself: each user is one connection in a sockit worker
    wait_time = constant(1)

    @task
    def connection(self):
        pass
