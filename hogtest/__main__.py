from hogtest.main import main

raise SystemExit(main())
