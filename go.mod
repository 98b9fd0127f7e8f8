module github.com/branchbot/branchbot

go 1.26.8

require (
	github.com/6tail/lunar-go v1.4.6
	github.com/eatmoreapple/openwechat v1.4.8
	github.com/go-telegram/bot v1.19.0
	github.com/mattn/go-sqlite3 v1.14.32
	github.com/mdp/qrterminal/v3 v3.2.1
	github.com/robfig/cron/v3 v3.0.1
	github.com/sashabaranov/go-openai v1.41.2
	github.com/xuri/excelize/v2 v2.9.1
	golang.org/x/text v0.31.0
	golang.org/x/tools v0.39.0
	gopkg.in/yaml.v3 v3.0.1
	rsc.io/qr v0.2.0
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/richardlehane/mscfb v1.0.4 // indirect
	github.com/richardlehane/msoleps v1.0.4 // indirect
	github.com/tiendc/go-deepcopy v1.6.0 // indirect
	github.com/xuri/efp v0.0.1 // indirect
	github.com/xuri/nfp v0.0.1 // indirect
	golang.org/x/crypto v0.44.0 // indirect
	golang.org/x/net v0.47.0 // indirect
	golang.org/x/sys v0.38.0 // indirect
	golang.org/x/term v0.37.0 // indirect
)
