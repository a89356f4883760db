print("dnsaudit")
