U=http://localhost:3900/api/models/iris-logreg/predict
for body in \
 '{"rows":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}' \
 '[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]' \
 '{"instances":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}' \
 '{"instances":[[5.1,3.5,1.4,0.2]]}' \
 '{"instances":[[5.1,3.5,1.4]]}' \
 '{"inputs":{"sepal_length":[5.1],"sepal_width":[3.5],"petal_length":[1.4],"petal_width":[0.2]}}' \
 '{"inputs":{"sepal_length":[5.1,1],"sepal_width":[3.5],"petal_length":[1.4],"petal_width":[0.2]}}' \
 '{"dataframe_split":{"index":[0],"columns":["sepal_length","sepal_width","petal_length","petal_width"],"data":[[5.1,3.5,1.4,0.2]]}}' \
 '{"dataframe_split":{"columns":["sepal_length","sepal_width","petal_length","petal_width"],"data":[[5.1,3.5,1.4,0.2],[1,2,"x",3]]}}' \
 '{"dataframe_records":[{"sepal_length":NaN,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}' \
 '{"instances":[],"rows":[]}' \
 '{"foo":1}' \
 '{"instances":[{"sepal_length":5.1}]}' ; do curl -s -H 'content-type: application/json' -d "$body" $U | head -c 330; echo; done
